"""`python -m fakenet` is the `./fake` command."""

import sys

from fakenet.cli import main

sys.exit(main())
