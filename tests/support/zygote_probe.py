"""A kind's preload and main for tests of the fork server (tests/integration/test_forkserver.py):
the preload leaves an RNG where a careless one would (fakenet.node.entropy's context variable),
and main prints what each fork draws, so two forks that share the server's RNG state show it."""

import os
import random
import secrets
import sys

from fakenet.node import entropy


def preload() -> None:
    entropy.use(random.Random(1))  # the server's context: no fork may draw from it


def main() -> int:
    print(f"argv={sys.argv[1:]} cwd={os.getcwd()} secret={os.environ.get('PROBE_SECRET', '')} "
          f"server_only={os.environ.get('PROBE_SERVER_ONLY', '-')} "
          f"random={random.getrandbits(64)} entropy={entropy.token_bytes(8).hex()} secrets={secrets.token_hex(8)}")
    return int(os.environ.get("PROBE_EXIT", "0"))
