"""Drive the `ipfscluster` client library from PyPI, unchanged, in its own virtualenv.

Run by tests/integration/test_cluster_clients.py with that venv's python: ipfscluster 0.2.0
imports ipfshttpclient 0.4, which cannot share an environment with the node's dependencies.

    python drive.py ACTION MULTIADDR [JSON ARG ...]   →   one line of JSON on stdout

The tests keep one process per worker instead, which serves `call` (support/client_serve.py).

Only the library's public calls are used.
"""

import json
import sys


def call(action, addr, *args):
    """One call: the words of the command line above (each ARG JSON-encoded)."""
    return main(action, addr, *(json.loads(arg) for arg in args))


def main(action, addr, *args):
    import ipfscluster

    with ipfscluster.connect(addr) as client:
        if action == "add_bytes":  # data (text), name
            return client.add_bytes(args[0].encode(), name=args[1])
        if action == "version":
            return client.version()
        if action == "id":
            return client.id()
        section, call = action.split(".")  # pins.add, pins.rm, pins.ls, pins.recover, pins.sync, peers.ls, …
        return getattr(getattr(client, section), call)(*args)


if __name__ == "__main__":
    print(json.dumps(call(*sys.argv[1:])))
