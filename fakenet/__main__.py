"""`python -m fakenet` is the `./fake` command."""

import gc
import sys

# No collections while the command's modules load, and none over them afterwards: they live until
# the process ends. The collector's passes over those objects were ~20 ms of CPU during the imports
# and ~50 ms at exit (interpreter finalization), of a `fake up` whose own CPU is ~0.2 s (issue 28).
gc.disable()

from fakenet import bytecode, lazy_ssh  # noqa: E402

bytecode.ensure()  # before the CLI's imports: with PYTHONDONTWRITEBYTECODE each run compiled them all again
lazy_ssh.install()  # paramiko only once an ssh:// engine is used: a third of the command's import CPU

from fakenet.cli import main  # noqa: E402

gc.freeze()  # what is loaded so far: never scanned again
gc.enable()  # what the command makes, it frees as usual
code = main()
gc.freeze()  # the process is ending: no pass over the heap at exit, atexit handlers run as before
sys.exit(code)
