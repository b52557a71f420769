"""``python -m dualdiff``: the command line of :mod:`dualdiff.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
