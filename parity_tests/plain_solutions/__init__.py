"""Plain-style solutions of the seven exercises, as a participant writes them in PyTorch/Keras
idiom (a plain ``L.LightningModule``, ``torch.optim``, ``self.log("train_loss", ...)``; a plain
``keras.Sequential``/``Model``) — not copies of the reference twins. ``test_plain_solutions.py``
grades each (it passes) and its natural mistakes (each gets a hint). Never imported by product code."""
