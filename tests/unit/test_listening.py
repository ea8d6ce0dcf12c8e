"""listening.accepts: the bare TCP probe the harness makes before polling a node over RPC."""

import socket

from fakenet.harness import listening


def test_a_listening_port_accepts_and_a_closed_one_does_not():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert listening.accepts(f"http://127.0.0.1:{port}/rpc")
    assert not listening.accepts(f"http://127.0.0.1:{port}/rpc")  # closed now: refused
