"""torch pieces that compute what Keras' defaults compute (see README.md in this folder).

They have no file twin in ``keras_models/``: on the Keras side each is a built-in default.
"""
