"""Issue 28: what a node process has imported when it first answers RPC. Each module below is left
for later on purpose (the reason is where it is imported); an eager import of any of them would
put its CPU back into every node's start without failing anything else, so this test names them.

The node starts as a container's `fakenet-node` does (early.load_daemon, an empty command line,
settings from the environment) and reports its modules at the moment it answers RPC."""

import json
import os
import subprocess
import sys

from support.http_probes import free_port

DEFERRED = {
    "ssl": "asyncio imported without it (early.load_daemon); aiohttp imports it with the apps",
    "_ssl": "ssl's",
    "argparse": "an empty command line is read without it (settings._Defaults)",
    "gettext": "argparse's",
    "decimal": "imported by the RPC server only for a value json cannot write (rpc/server._json_default)",
    "aiohttp": "the apps load for their first client (http_ports.serve_apps_when_asked)",
    "fakenet.node.stream_layer": "built after the swarm meshes (daemon.Node._start_rest)",
    "jsonschema": "imported in a thread before the node's first stream (daemon._in_a_thread_once)",
    "fakenet.node.component_news": "its frame limits are in stream_frames (layer_limits.py); it loads with the layer",
    "fakenet.node.echo": "component_news's",
    "fakenet.node.budget": "component_news's",
}
EXPECTED = {"asyncio", "fakenet.node.daemon", "fakenet.node.h11_server"}  # sanity: it got as far as answering

SCRIPT = """
import json, os, sys
from fakenet.node import early

daemon = early.load_daemon()
start = daemon.Node.start

async def started(node):
    await start(node)
    print(json.dumps(sorted(sys.modules)), flush=True)
    os._exit(0)

daemon.Node.start = started
sys.exit(daemon.main([]))
"""


# The layer built and every thread the node started done (one worker thread, so a no-op queued last
# runs after them), then a tile stream created the way RPC's createstream does.
LAYER_SCRIPT = """
import asyncio, concurrent.futures, json, os, sys
from fakenet.node import early

daemon = early.load_daemon()
start = daemon.Node.start

async def threads_done(loop):
    await loop.run_in_executor(None, lambda: None)

async def started(node):
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(1))
    await start(node)
    await node.registry.settled()
    await threads_done(loop)
    idle = "jsonschema" in sys.modules
    await node.streams.create({"a": 1})
    print(json.dumps({"idle": idle, "after_a_stream": "jsonschema" in sys.modules}), flush=True)
    os._exit(0)

daemon.Node.start = started
sys.exit(daemon.main([]))
"""


def node_environment(tmp_path) -> dict:
    ports = {f"FAKENET_{name}_PORT": str(free_port())
             for name in ("SWARM", "RPC", "API", "IPFS", "CERAMIC_ONE", "CLUSTER")}
    return {**{k: v for k, v in os.environ.items() if not k.startswith("FAKENET_")}, **ports,
            "FAKENET_DATADIR": str(tmp_path / "data"), "FAKENET_BIND": "127.0.0.1", "FAKENET_NODE_NAME": "node",
            "FAKENET_RPCUSER": "u", "FAKENET_RPCPASSWORD": "p", "FAKENET_PEERS": ""}


def test_a_node_answers_rpc_before_it_imports_what_it_leaves_for_later(tmp_path):
    environment = node_environment(tmp_path)
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=environment)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert EXPECTED <= loaded, f"the node did not get as far as answering RPC: {EXPECTED - loaded} missing"
    early = {name: why for name, why in DEFERRED.items() if name in loaded}
    assert not early, f"imported before the node answers RPC, though left for later: {early}"


def test_a_node_imports_jsonschema_for_its_first_stream_not_for_its_layer(tmp_path):
    """A node that never handles a stream (a chain test, an idle `up`) never pays jsonschema's import;
    the first stream does, in a thread, before the stream service needs it."""
    done = subprocess.run([sys.executable, "-c", LAYER_SCRIPT], capture_output=True, text=True, timeout=60,
                          env=node_environment(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"idle": False, "after_a_stream": True}, report
