"""`python -m fakenet` is the `./fake` command."""

import sys

from fakenet import bytecode, lazy_ssh

bytecode.ensure()  # before the CLI's imports: with PYTHONDONTWRITEBYTECODE each run compiled them all again
lazy_ssh.install()  # paramiko only once an ssh:// engine is used: a third of the command's import CPU

from fakenet.cli import main  # noqa: E402

sys.exit(main())
