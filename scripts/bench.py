"""The benchmark as a script: ``python scripts/bench.py [--models a,b] [--json PATH] [--out DIR]``.

Same as ``twins bench``; see twins/bench/runner.py for what is measured.
"""

import sys

from twins.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
