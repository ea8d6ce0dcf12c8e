"""layer_limits: the frame limits a node sets before its stream layer exists are the ones the layer's
handlers register, so the size check on its links is never looser while the layer is being built."""

import asyncio

from fakenet.node import layer_limits, stream_layer
from fakenet.node.daemon import Node
from fakenet.node.settings import Settings


def test_the_limits_set_ahead_are_those_the_layer_registers(tmp_path):
    node = Node(Settings(datadir=tmp_path, name="n", network="limits", bind="127.0.0.1",
                         announce="/ip4/127.0.0.1/tcp/0", swarm_port=0, cluster=False), serve_http=False)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(node.start())  # no HTTP: the whole layer is built before start returns
        own = {"ping", "pong", "bye"}  # the swarm's own
        registered = {t: n for t, n in node.swarm.frame_limits.items() if t not in own}
        assert registered == layer_limits.frame_limits(), \
            f"expected the limits set ahead {layer_limits.frame_limits()}, the layer registered {registered}"
    finally:
        loop.run_until_complete(node.swarm.close())
        loop.close()
        stream_layer.close(node)
        node.chain.close()
