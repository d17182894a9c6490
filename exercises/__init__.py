"""Self-checking exercises: write one twin of a course model, and let the parity harness grade it.

    exercise list                 the exercises, in course order
    exercise start cnn            copy the skeleton to my_exercises/cnn.py
    exercise check cnn            grade my_exercises/cnn.py against the reference twin

``catalogue`` lists the exercises (no torch/TensorFlow import: ``exercise list`` is instant);
``grading`` runs the steps (``twins.parity``); ``hints`` turns a failing step into advice;
``skeletons/<id>.py`` are the participants' starting points. See docs/EXERCISES.md.
"""
