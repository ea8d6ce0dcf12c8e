"""Issue 28: the value types a node builds before it answers RPC are NamedTuples, not dataclasses.

A dataclass compiles its generated methods (__init__, __repr__, __eq__, __hash__, and for a frozen
one __setattr__ and __delattr__) from source when its class is built, at import: ~2.5 M
instructions for a small one, 13 M for the settings' 33 fields, together 13 % of a node's start to
RPC (callgrind, BENCHMARKS.md). A NamedTuple is as immutable and is built with one small eval. So
a dataclass in a module the node loads before it answers RPC puts that cost back into every
node's start without failing anything else. (h11's own events are dataclasses: a library's, not ours.)

The node starts as in test_start_imports (a container's `fakenet-node`: settings from the
environment) and lists, at the moment it answers RPC, the dataclasses its own loaded modules define."""

import json
import os
import subprocess
import sys

from support.http_probes import free_port

SCRIPT = """
import json, os, sys
from fakenet.node import early

daemon = early.load_daemon()
start = daemon.Node.start

async def started(node):
    await start(node)
    found = sorted(f"{name}.{value.__qualname__}" for name, module in list(sys.modules.items())
                   if name.startswith("fakenet.node") and module is not None
                   for value in vars(module).values()
                   if isinstance(value, type) and value.__module__ == name
                   and "__dataclass_params__" in vars(value))  # made by @dataclass, not a subclass of one
    print(json.dumps({"answering": "fakenet.node.h11_server" in sys.modules, "dataclasses": found}), flush=True)
    os._exit(0)

daemon.Node.start = started
sys.exit(daemon.main([]))
"""


def test_a_node_builds_no_dataclass_of_its_own_before_it_answers_rpc(tmp_path):
    ports = {f"FAKENET_{name}_PORT": str(free_port()) for name in ("SWARM", "RPC", "API", "IPFS", "CERAMIC_ONE", "CLUSTER")}
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("FAKENET_")}, **ports,
                   "FAKENET_DATADIR": str(tmp_path / "data"), "FAKENET_BIND": "127.0.0.1", "FAKENET_NODE_NAME": "node",
                   "FAKENET_RPCUSER": "u", "FAKENET_RPCPASSWORD": "p", "FAKENET_PEERS": ""}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=environment)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["answering"], "the node did not get as far as answering RPC"
    assert not report["dataclasses"], f"dataclasses built before the node answers RPC (make them NamedTuples): {report['dataclasses']}"
