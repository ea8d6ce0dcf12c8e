"""The node's `cli` pointed at something that is not the node's JSON-RPC (another port of the node, a
typo): one line saying so, never a traceback or a silent exit 0 (a new user's review: -rpcport=7007
was a TypeError, -rpcport=5011 printed nothing and exited 0, -rpcport=abc a ValueError)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fakenet.node import cli


def serving(status: int, body: bytes):
    class Answer(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def run(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    for name in ("FAKENET_RPCUSER", "FAKENET_RPCPASSWORD", "FAKENET_RPC_PORT"):
        monkeypatch.delenv(name, raising=False)
    servers = []

    def call(status, body, *argv):
        server = serving(status, body)
        servers.append(server)
        with pytest.raises(SystemExit) as stopped:
            cli.main([f"-rpcport={server.server_address[1]}", "-rpcuser=u", "-rpcpassword=p", *argv])
        return str(stopped.value.code)

    yield call
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize("status, body", [
    (400, b'{"error": "request body is not JSON"}'),  # 7007's error shape: error is a string
    (200, b'{"Strings": []}'),  # 5011's Kubo-style answer: no result, no error
    (200, b"[]"), (404, b"404: Not Found"), (502, b"<html>bad gateway</html>"),
    (200, b'{"result": 1, "error": {"code": "x"}}')])
def test_a_server_that_is_not_json_rpc_is_named_in_one_line(run, status, body):
    message = run(status, body, "getblockcount")
    assert message.startswith("error: the server at 127.0.0.1:") and "not as a JSON-RPC server does" in message
    assert "-rpcport the node's RPC port (6433)" in message


def test_getinfo_s_batch_wants_one_reply_per_call(run):
    assert "not as a JSON-RPC server does" in run(200, b'[{"result": 1, "error": null, "id": 0}]', "-getinfo")


def test_a_json_rpc_reply_is_still_read(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    server = serving(200, b'{"result": 7, "error": null, "id": "cli"}')
    try:
        assert cli.main([f"-rpcport={server.server_address[1]}", "-rpcuser=u", "-rpcpassword=p", "getblockcount"]) == 0
        assert capsys.readouterr().out == "7\n"
        server_error = serving(500, b'{"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": 1}')
        try:
            assert cli.main([f"-rpcport={server_error.server_address[1]}", "-rpcuser=u", "-rpcpassword=p", "nope"]) == 89
        finally:
            server_error.shutdown()
    finally:
        server.shutdown()


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1"])
def test_a_port_cli_cannot_use_is_refused_as_bitcoin_cli_refuses_it(port, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    with pytest.raises(SystemExit, match=f"error: Invalid port provided in -rpcport: {port}"):
        cli.main([f"-rpcport={port}", "getblockcount"])


def test_an_object_argument_that_is_not_json_is_refused_not_sent_as_text():
    with pytest.raises(SystemExit, match='Error parsing JSON: {"title": hello}'):
        cli._convert('{"title": hello}')
    assert cli._convert('{"title": "hello"}') == {"title": "hello"}
    assert cli._convert("[::1]:4011") == "[::1]:4011"  # an IPv6 host for addnode: text, as before
