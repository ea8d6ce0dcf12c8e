"""`python -m fakenet` is the `./fake` command."""

import sys

from fakenet.cli import main

if __name__ == "__main__":
    sys.exit(main())
