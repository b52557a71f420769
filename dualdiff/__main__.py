"""``python -m dualdiff``: the command line of :mod:`dualdiff.study.cli`."""

import sys

from .study.cli import main

if __name__ == "__main__":
    sys.exit(main())
