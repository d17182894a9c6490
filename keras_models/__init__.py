"""The Keras 3 twins: one file per course model family, mirrored file by file by ``lit_models/``,
with the same class/builder names and arguments. Which builder is which course model is
registered in ``configs/<id>.yaml`` (``twins.registry``).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# torch and torchvision are imported before TensorFlow (the reverse order segfaults when
# torchvision follows TensorFlow into one process); no torch code of this project is used here.
import torch  # noqa: F401  - imported for the order only (see above)
import torchvision  # noqa: F401  - likewise
