"""The node's `cli` takes bitcoin-cli's options as bitcoin-cli does (measured against litecoin-cli 0.21;
-rpcwaittimeout is bitcoin-cli 22's): an option it does not know is refused ("Invalid parameter", the
word as typed), not ignored, so `cli -rpcprot=6434 …` no longer asks the default port; -rpcwait,
-stdin, -stdinrpcpass and -rpccookiefile work; flags read "0" and -noX as off; the chain and wallet
options mean nothing against one fakenet node and are taken."""

import base64
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fakenet.node import cli
from support.module_clock import patch_time


class Recording(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        Recording.seen.append((self.headers["Authorization"], body))
        reply = json.dumps({"result": body.get("params"), "error": None, "id": body.get("id")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def node(monkeypatch, tmp_path):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    for name in ("FAKENET_RPCUSER", "FAKENET_RPCPASSWORD", "FAKENET_RPC_PORT", "FAKENET_RPCCONNECT"):
        monkeypatch.delenv(name, raising=False)
    Recording.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("option, said", [
    ("-nosuchopt", "Invalid parameter -nosuchopt\n"),
    ("-rpcprot=6434", "Invalid parameter -rpcprot=6434 (did you mean -rpcport?)\n"),
    ("-nosuchopt=5", "Invalid parameter -nosuchopt=5\n"), ("-color=always", "Invalid parameter -color=always\n"),
    ("-regtst", "Invalid parameter -regtst (did you mean -regtest?)\n")])
def test_an_unknown_option_is_refused_in_one_line_before_any_call(option, said, node, capsys):
    assert cli.main([f"-rpcport={node}", "-rpcuser=u", "-rpcpassword=p", option, "getblockcount"]) == 1
    assert capsys.readouterr().err == "Error parsing command line arguments: " + said
    assert Recording.seen == []


def test_a_bitcoin_cli_option_this_cli_lacks_is_named_not_ignored(node, capsys):
    assert cli.main([f"-rpcport={node}", "-netinfo"]) == 1
    assert "-netinfo is bitcoin-cli's but not supported by fakenet's cli" in capsys.readouterr().err


def test_chain_and_wallet_options_are_taken_and_change_nothing(node, capsys):
    argv = [f"-rpcport={node}", "-rpcuser=u", "-rpcpassword=p", "-regtest", "-chain=regtest", "-rpcwallet=w", "echo", "1"]
    assert cli.main(argv) == 0 and capsys.readouterr().out == "[\n  1\n]\n"


def test_version_prints_without_a_node(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    assert cli.main(["-version"]) == 0 and capsys.readouterr().out.startswith("fakenet cli v")


def test_stdin_adds_arguments_and_stdinrpcpass_reads_the_password_first(node, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\nfrom-stdin\n7\n"))
    assert cli.main([f"-rpcport={node}", "-rpcuser=u", "-stdinrpcpass", "-stdin", "echo", "given"]) == 0
    authorization, body = Recording.seen[-1]
    assert authorization == basic("u", "s3cret") and body["params"] == ["given", "from-stdin", 7]


def test_rpccookiefile_names_the_cookie_read(node, tmp_path, capsys):
    cookie = tmp_path / "elsewhere.cookie"
    cookie.write_text("__cookie__:abc")
    assert cli.main([f"-rpcport={node}", f"-rpccookiefile={cookie}", "echo"]) == 0
    assert Recording.seen[-1][0] == basic("__cookie__", "abc")


def closed_port() -> socket.socket:
    """A port bound and not listening: connecting is refused until it listens."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    return held


def test_rpcwait_retries_until_the_node_listens(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    held = closed_port()
    port, waits = held.getsockname()[1], []

    def node_comes_up(seconds):  # the retry's pause: the node starts listening during the first one
        waits.append(seconds)
        if len(waits) == 1:
            held.close()
            server = ThreadingHTTPServer(("127.0.0.1", port), Recording)
            threading.Thread(target=server.serve_forever, daemon=True).start()

    patch_time(monkeypatch, cli, sleep=node_comes_up)
    assert cli.main([f"-rpcport={port}", "-rpcuser=u", "-rpcpassword=p", "-rpcwait", "echo", "up"]) == 0
    assert capsys.readouterr().out == '[\n  "up"\n]\n' and waits == [1.0]


def test_without_rpcwait_or_past_its_timeout_a_closed_port_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    held = closed_port()
    port = held.getsockname()[1]
    with pytest.raises(SystemExit, match=f"Could not connect to the server 127.0.0.1:{port} \\("):
        cli.main([f"-rpcport={port}", "-rpcuser=u", "-rpcpassword=p", "getblockcount"])
    with pytest.raises(SystemExit, match=f"Could not connect to the server 127.0.0.1:{port} \\("):
        cli.main([f"-rpcport={port}", "-rpcuser=u", "-rpcpassword=p", "-rpcwait=0", "getblockcount"])
    with pytest.raises(SystemExit, match=f"Could not connect to the server 127.0.0.1:{port} \\("):
        cli.main([f"-rpcport={port}", "-rpcuser=u", "-rpcpassword=p", "-norpcwait", "getblockcount"])
    clock = iter(range(0, 100, 1))
    patch_time(monkeypatch, cli, monotonic=lambda: float(next(clock)), sleep=lambda seconds: None)
    with pytest.raises(SystemExit, match="waited -rpcwaittimeout"):
        cli.main([f"-rpcport={port}", "-rpcuser=u", "-rpcpassword=p", "-rpcwait", "-rpcwaittimeout=3", "getblockcount"])
    held.close()


@pytest.mark.parametrize("option", ["-rpcwaittimeout=-1", "-rpcclienttimeout=abc", "-rpcclienttimeout=\u00b2",
                                    "-rpcclienttimeout=99999999999999999999"])
def test_a_timeout_that_is_not_whole_seconds_is_refused_in_one_line(option, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    with pytest.raises(SystemExit, match="wants whole seconds, 0 to 1,000,000,000"):
        cli.main([option, "getblockcount"])


def test_a_bare_timeout_is_none_and_flags_read_as_bitcoin_cli_reads_them():
    from fakenet.node.cli_options import Options

    options = Options(["-rpcclienttimeout", "-rpcwait=0", "-nostdin", "-nonamed=0", "-regtest=false", "m"])
    assert options.seconds("rpcclienttimeout", 60) == 0 and options.rest == ["m"]
    assert not options.flag("rpcwait") and not options.flag("stdin") and options.flag("named")
    assert not options.flag("regtest") and Options(["-rpcwait=2"]).flag("rpcwait")
    assert Options(["-noregtest", "x"]).problem() is None


def test_stdinrpcpass_with_nothing_on_stdin_says_so(node, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit, match="-stdinrpcpass specified but failed to read from standard input"):
        cli.main([f"-rpcport={node}", "-stdinrpcpass", "echo"])


def test_no_password_and_no_cookie_is_bitcoin_clis_credentials_error_not_a_401(node):
    with pytest.raises(SystemExit, match="Could not locate RPC credentials.*Configuration file: \\("):
        cli.main([f"-rpcport={node}", "-rpcuser=u", "echo"])
    assert Recording.seen == []


def test_a_relative_cookie_file_is_read_from_the_data_dir(node, tmp_path, monkeypatch):
    (tmp_path / "other.cookie").write_text("__cookie__:rel")
    monkeypatch.chdir("/")
    assert cli.main([f"-rpcport={node}", "-rpccookiefile=other.cookie", "echo"]) == 0
    assert Recording.seen[-1][0] == basic("__cookie__", "rel")


def test_healthcheck_needs_no_credentials(monkeypatch, tmp_path):
    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    held = closed_port()
    assert cli.main([f"-apiport={held.getsockname()[1]}", "-healthcheck"]) == 1  # no answer: unhealthy, no error
    held.close()
