"""``python -m twins.cli ...`` (what ``torchrun -m twins.cli`` and the subprocess tests run)."""

import sys

from twins.cli.main import main

sys.exit(main())
