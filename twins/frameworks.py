"""Loading the two frameworks in the one order that works in a single process.

Importing torchvision after TensorFlow crashes the interpreter (segfault), so torch and
torchvision always come first; TensorFlow's C++ start-up lines are muted.
"""

from __future__ import annotations

import os
import sys


def import_torch() -> None:
    """torch and torchvision, before anything imports TensorFlow (the reverse order segfaults)."""
    import torch  # noqa: F401
    import torchvision  # noqa: F401


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (after torch and torchvision) with file descriptor 2 muted: its C++
    start-up lines (oneDNN, CUDA stubs) are printed before any log level applies. Import errors
    still raise."""
    import warnings

    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    if "tensorflow" in sys.modules:
        return
    import_torch()
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401  - imported for its start-up lines, sent to /dev/null
    finally:
        os.dup2(saved, 2)
        os.close(saved)
