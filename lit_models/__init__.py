"""The Lightning twins: one file per course model family, mirrored file by file by ``keras_models/``.

Which class is which course model is registered in ``configs/<id>.yaml`` (``twins.registry``).
``keras_compat/`` holds the torch pieces that reproduce Keras' defaults (init, optimizers,
'same' padding, BatchNorm, recurrent layers, MobileNetV2); its README says why each exists.
"""

# Importing this package loads torch and torchvision first: TensorFlow imported before
# torchvision crashes the interpreter (segfault), so any import order of the project is safe.
import torch  # noqa: F401  - imported for the order only (see above)
import torchvision  # noqa: F401  - likewise
