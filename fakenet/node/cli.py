"""`cli`: bitcoin-cli's conventions against a fakenet node.

    cli -getinfo                     summary as bitcoin-cli -getinfo prints it (0.21-era keys + fakenet's)
    cli METHOD [ARGS…]               any RPC; arguments that read as JSON numbers/objects/booleans are sent as such
    cli -named METHOD key=value…     named arguments
    cli clusterpin add|rm|ls|status|recover|peers …   the cluster pinset (`cli clusterpin -h`)
    cli -healthcheck                 exit 0 when the node's API answers its healthcheck (for container healthchecks)
    cli -version                     cli's version

bitcoin-cli's -rpcwait (and bitcoin-cli 22's -rpcwaittimeout), -rpcclienttimeout, -rpccookiefile, -stdin
and -stdinrpcpass work as there; its chain and wallet options (-regtest, -chain=…, -rpcwallet=…) change
nothing against a fakenet node and are taken; any other option is refused, as bitcoin-cli refuses it
(cli_options.py).

Credentials, as bitcoin-cli takes them: a password (-stdinrpcpass, FAKENET_RPCPASSWORD, the data dir's
fakenet.conf or FAKENET_CONF) with its user, else the node's cookie file (-rpccookiefile, relative to
the data dir); inside a fakenet container no flags are needed. -rpcuser/-rpcpassword override them
all but show in `ps` to every user of the machine.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from fakenet.node.cli_options import Options
from fakenet.node.credentials import CONF_NAME, read_conf, read_cookie
from fakenet.node.version import __version__

_JSON_START = ("{", "[", "-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def _convert(arg: str):
    """Numbers, booleans, null, arrays and objects go as JSON; long hex-looking digits stay strings.
    An argument that begins as an object and is not JSON is refused, as bitcoin-cli refuses it ("Error
    parsing JSON"): `createstream '{"title": hello}'` made a stream whose content was that text. One
    that begins with "[" and is not JSON is a string: an IPv6 host, `addnode [::1]:4011 onetry`."""
    if arg in ("true", "false", "null") or (arg.startswith(_JSON_START) and len(arg) < 20) or arg[:1] in "{[":
        try:
            return json.loads(arg)
        except ValueError as exc:
            if arg[:1] == "{":
                raise SystemExit(f"error: Error parsing JSON: {arg} ({exc})") from None
            return arg
    return arg


class Client:
    def __init__(self, options: Options):
        datadir = Path(options.get("datadir") or os.environ.get("FAKENET_DATADIR") or Path.home() / ".fakenet")
        conf_file = Path(options.get("conf") or os.environ.get("FAKENET_CONF") or datadir / CONF_NAME)
        conf = read_conf(conf_file)

        def setting(key: str, env: str, default: str | None = None) -> str | None:
            return options.get(key) or os.environ.get(env) or conf.get(key) or default

        self.host = setting("rpcconnect", "FAKENET_RPCCONNECT", "127.0.0.1")
        self.port = _port(setting("rpcport", "FAKENET_RPC_PORT", "6433"), "-rpcport")
        self.api_port = _port(setting("apiport", "FAKENET_API_PORT", "7007"), "-apiport")
        # bitcoin-cli's -rpcclienttimeout: seconds for one reply, 0 for none (its default is 900).
        self.timeout = options.seconds("rpcclienttimeout", 60) or None
        # -rpcwait: a node that is not up yet is waited for, -rpcwaittimeout seconds at most (0: for ever).
        wait = options.seconds("rpcwaittimeout", 0)
        self.wait = wait if options.flag("rpcwait") else None
        user, password = setting("rpcuser", "FAKENET_RPCUSER"), setting("rpcpassword", "FAKENET_RPCPASSWORD")
        if options.flag("stdinrpcpass"):
            password = _password_from_stdin()
        cookie = options.get("rpccookiefile")
        self._credentials = (user, password, datadir, datadir / cookie if cookie else None, conf_file)

    @functools.cached_property
    def auth(self) -> str:
        """bitcoin-cli's: a password with its user (empty or not), else the cookie. Looked up at the first
        call (-healthcheck makes none, and needs none)."""
        user, password, datadir, cookie, conf_file = self._credentials
        if not password:
            user, password = read_cookie(datadir, cookie) or (None, None)
            if password is None:
                raise SystemExit("error: Could not locate RPC credentials. No authentication cookie could be "
                                 "found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  "
                                 f"Configuration file: ({conf_file})")
        return base64.b64encode(f"{user or ''}:{password}".encode()).decode()

    def call(self, payload):
        request = urllib.request.Request(
            f"http://{self.host}:{self.port}/", data=json.dumps(payload).encode(),
            headers={"Authorization": f"Basic {self.auth}", "Content-Type": "application/json"})
        deadline = None if self.wait is None else (time.monotonic() + self.wait if self.wait else float("inf"))
        while True:
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return self._reply(payload, response.read(), response.status)
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    raise SystemExit("error: Authorization failed: Incorrect rpcuser or rpcpassword") from exc
                return self._reply(payload, exc.read(), exc.code)
            except (urllib.error.URLError, OSError) as exc:
                if deadline is None or time.monotonic() >= deadline:
                    waited = " (waited -rpcwaittimeout)" if deadline is not None else ""
                    raise SystemExit(f"error: Could not connect to the server {self.host}:{self.port}{waited} "
                                     f"({exc})") from exc
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))  # bitcoin-cli retries each second

    def _reply(self, payload, body: bytes, status: int):
        """The server's JSON-RPC reply (a batch's: one per call), or one line saying it gave none: another
        port's server (-rpcport=7007, 5011) answered with its own JSON or none, and a reply with no
        "result" read as a null success (nothing printed, exit 0)."""
        try:
            reply = json.loads(body)
        except ValueError:
            reply = None
        calls = payload if isinstance(payload, list) else [payload]
        replies = reply if isinstance(payload, list) and isinstance(reply, list) else [reply]
        if len(replies) != len(calls) or not all(_is_rpc_reply(r) for r in replies):
            raise SystemExit(f"error: the server at {self.host}:{self.port} answered HTTP {status} but not as a "
                             f"JSON-RPC server does; is -rpcport the node's RPC port (6433)?")
        return reply


def _is_rpc_reply(reply) -> bool:
    if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
        return False
    error = reply.get("error")
    return error is None or (isinstance(error, dict) and isinstance(error.get("code"), int)
                             and isinstance(error.get("message"), str))


def _password_from_stdin() -> str:
    """bitcoin-cli's -stdinrpcpass: the password as stdin's first line, never in `ps`; typed at a
    terminal without echo."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("")
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("error: -stdinrpcpass specified but failed to read from standard input")
    return line.rstrip("\r\n")


def _port(text: str, option: str) -> int:
    """bitcoin-cli's refusal of a port it cannot use, in one line (int() of it was a traceback)."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SystemExit(f"error: Invalid port provided in {option}: {text}")
    return int(text)


def _fail(error: dict) -> int:
    """bitcoin-cli's exit status is abs(code) as the OS keeps it, the low 8 bits (-32601, Method not
    found, exits 89 from litecoin-cli too); never 0 for an error."""
    print(f"error code: {error['code']}\nerror message:\n{error['message']}", file=sys.stderr)
    return (abs(int(error["code"])) & 0xFF) or 1


def getinfo(client: Client) -> int:
    replies = client.call([{"method": m, "params": [], "id": i} for i, m in
                           enumerate(("getnetworkinfo", "getblockchaininfo", "getstreaminfo"))])
    for reply in replies:
        if reply.get("error"):
            return _fail(reply["error"])
    net, chain, streams = (reply["result"] for reply in replies)
    info = {
        "version": net["version"], "blocks": chain["blocks"], "headers": chain["headers"],
        "verificationprogress": chain["verificationprogress"], "timeoffset": net["timeoffset"],
        "connections": {"in": net["connections_in"], "out": net["connections_out"], "total": net["connections"]},
        "proxy": "", "difficulty": chain["difficulty"], "chain": chain["chain"], "relayfee": net["relayfee"],
        "warnings": net["warnings"], "peerid": net["peerid"], "network": chain["network"], "name": net["name"],
        "streams": streams,
    }
    print(json.dumps(info, indent=2))
    return 0


def healthcheck(client: Client) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{client.api_port}/api/v0/node/healthcheck", timeout=5) as r:
            return 0 if r.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


def call_method(client: Client, method: str, args: list[str], named: bool) -> int:
    params = {k: _convert(v) for k, _, v in (a.partition("=") for a in args)} if named else [_convert(a) for a in args]
    reply = client.call({"jsonrpc": "1.0", "id": "cli", "method": method, "params": params})
    if reply.get("error"):
        code = _fail(reply["error"])
        if reply["error"].get("code") == METHOD_NOT_FOUND and method in OWN_OPTIONS:  # `cli getinfo`: the dash forgotten
            print(f"(`{method}` is an option of cli, not an RPC method: `cli -{method}`)", file=sys.stderr)
        return code
    result = reply.get("result")
    if isinstance(result, str):
        print(result)
    elif result is not None:
        print(json.dumps(result, indent=2))
    return 0


OWN_OPTIONS = ("getinfo", "healthcheck")  # options a user may type as a method, forgetting the dash
METHOD_NOT_FOUND = -32601


def _nothing_to_do(options: Options) -> int:
    """No method and no -getinfo: the usage, on stdout for -h; else on stderr."""
    if options.help():
        print(__doc__)
        return 0
    print(__doc__, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    options = Options(sys.argv[1:] if argv is None else argv)
    if problem := options.problem():
        print(problem, file=sys.stderr)
        return 1
    if options.flag("version"):
        print(f"fakenet cli v{__version__} (bitcoin-cli's conventions)")
        return 0
    if options.help() and not options.rest:
        return _nothing_to_do(options)
    client = Client(options)
    rest = options.rest
    if options.flag("stdin"):  # bitcoin-cli's -stdin: more arguments, one per line, after those given
        rest += [line.rstrip("\r\n") for line in sys.stdin]
    if options.flag("getinfo"):
        return getinfo(client)
    if options.flag("healthcheck"):
        return healthcheck(client)
    if not rest:
        return _nothing_to_do(options)
    if rest[0] == "clusterpin":
        from fakenet.node.cluster import ctl  # here, not at the top: plain RPC calls need none of it

        return ctl.main(rest[1:], lambda method, args: call_method(client, method, args, named=True))
    return call_method(client, rest[0], rest[1:], named=options.flag("named"))


if __name__ == "__main__":
    sys.exit(main())
