"""`python -m fakenet` is the `./fake` command."""

import sys

from fakenet import bytecode

bytecode.ensure()  # before the CLI's imports: with PYTHONDONTWRITEBYTECODE each run compiled them all again

from fakenet.cli import main  # noqa: E402

sys.exit(main())
