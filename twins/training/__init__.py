"""Training one twin with its framework's own loop: ``fit_lightning`` (``Trainer.fit``),
``fit_keras`` (``model.fit``), ``run.train_twin`` (seeds, builds and trains one twin the way
``twins train`` does); checkpoints, fine-tuning and the GAN's callbacks beside them."""
