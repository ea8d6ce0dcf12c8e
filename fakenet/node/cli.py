"""`cli`: bitcoin-cli's conventions against a fakenet node.

    cli -getinfo                     summary as bitcoin-cli -getinfo prints it (0.21-era keys + fakenet's)
    cli METHOD [ARGS…]               any RPC; arguments that read as JSON numbers/objects/booleans are sent as such
    cli -named METHOD key=value…     named arguments
    cli clusterpin add|rm|ls|status|recover|peers …   the cluster pinset (`cli clusterpin -h`)
    cli -healthcheck                 exit 0 when the node's API answers its healthcheck (for container healthchecks)
    cli -version                     cli's version

bitcoin-cli's -rpcwait[=-rpcwaittimeout], -rpcclienttimeout, -rpccookiefile, -stdin and -stdinrpcpass
work as there; its chain and wallet options (-regtest, -chain=…, -rpcwallet=…) change nothing against
a fakenet node and are taken; any other option is refused, as bitcoin-cli refuses it.

Credentials: FAKENET_RPCUSER/FAKENET_RPCPASSWORD, else the data dir's fakenet.conf (or FAKENET_CONF),
else the node's cookie file; inside a fakenet container no flags are needed. -rpcuser/-rpcpassword
override them all but show in `ps` to every user of the machine.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

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


def _options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    options, rest = {}, list(argv)
    while rest and rest[0].startswith("-") and not rest[0].lstrip("-")[:1].isdigit():
        key, _, value = rest.pop(0).lstrip("-").partition("=")
        options[key] = value or "1"
    return options, rest


class Client:
    def __init__(self, options: dict[str, str]):
        datadir = Path(options.get("datadir") or os.environ.get("FAKENET_DATADIR") or Path.home() / ".fakenet")
        conf = read_conf(Path(options.get("conf") or os.environ.get("FAKENET_CONF") or datadir / CONF_NAME))

        def setting(key: str, env: str, default: str | None = None) -> str | None:
            return options.get(key) or os.environ.get(env) or conf.get(key) or default

        self.host = setting("rpcconnect", "FAKENET_RPCCONNECT", "127.0.0.1")
        self.port = _port(setting("rpcport", "FAKENET_RPC_PORT", "6433"), "-rpcport")
        self.api_port = _port(setting("apiport", "FAKENET_API_PORT", "7007"), "-apiport")
        user, password = setting("rpcuser", "FAKENET_RPCUSER"), setting("rpcpassword", "FAKENET_RPCPASSWORD")
        if "stdinrpcpass" in options:  # bitcoin-cli's: the password as stdin's first line, never in `ps`
            password = sys.stdin.readline().rstrip("\r\n")
        if not (user and password):
            cookie = Path(options["rpccookiefile"]) if options.get("rpccookiefile") else None
            user, password = read_cookie(datadir, cookie) or (user or "", password or "")
        self.auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        # bitcoin-cli's -rpcclienttimeout: seconds for one reply, 0 for none (its default is 900).
        self.timeout = _seconds(options.get("rpcclienttimeout", "60"), "-rpcclienttimeout") or None
        # -rpcwait: a node that is not up yet is waited for, -rpcwaittimeout seconds at most (0: for ever).
        wait = _seconds(options.get("rpcwaittimeout", "0"), "-rpcwaittimeout")
        self.wait = wait if "rpcwait" in options else None

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


def _seconds(text: str, option: str) -> int:
    if not text.isdigit():
        raise SystemExit(f"error: {option} wants whole seconds, 0 or more: {text}")
    return int(text)


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


# Options this cli reads.
OWN_OPTIONS = ("getinfo", "healthcheck", "named", "datadir", "conf", "rpcconnect", "rpcport", "apiport", "rpcuser",
               "rpcpassword", "rpccookiefile", "rpcwait", "rpcwaittimeout", "rpcclienttimeout", "stdin",
               "stdinrpcpass", "version")
# bitcoin-cli's options that mean nothing against one fakenet node (one chain, no wallets): taken, so a
# miner's or a script's command line works unchanged.
TAKEN_OPTIONS = ("regtest", "testnet", "signet", "signetchallenge", "signetseednode", "chain", "rpcwallet", "color")
# bitcoin-cli's options that do something this cli does not: refused by name, not ignored.
NOT_HERE = ("netinfo", "generate", "addrinfo", "stdinwalletpassphrase")
HELP = ("h", "help", "?")


def _unknown_option(options: dict[str, str]) -> str | None:
    """bitcoin-cli's refusal of an option it does not know ("Invalid parameter"), with the nearest of
    ours; an unknown option was ignored, so `cli -rpcprot=6434 …` asked the default port."""
    import difflib

    for key in options:
        if key in NOT_HERE:
            return f"error: -{key} is bitcoin-cli's but not supported by fakenet's cli; `cli -h` for usage"
        if key not in OWN_OPTIONS + TAKEN_OPTIONS + HELP:
            close = difflib.get_close_matches(key, OWN_OPTIONS + TAKEN_OPTIONS, n=1, cutoff=0.6)
            hint = f" (did you mean -{close[0]}?)" if close else ""
            return f"Error parsing command line arguments: Invalid parameter -{key}{hint}"
    return None
METHOD_NOT_FOUND = -32601


def _nothing_to_do(options: dict[str, str]) -> int:
    """No method and no -getinfo: the usage, on stdout for -h; else on stderr, or one line naming the option
    meant where one given is near one of ours (`cli -getinfoo` printed the usage alone, saying nothing of it)."""
    if any(key in options for key in HELP):
        print(__doc__)
        return 0
    print(__doc__, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    options, rest = _options(sys.argv[1:] if argv is None else argv)
    if problem := _unknown_option(options):
        print(problem, file=sys.stderr)
        return 1
    if "version" in options:
        print(f"fakenet cli v{__version__} (bitcoin-cli's conventions)")
        return 0
    client = Client(options)
    if "stdin" in options:  # bitcoin-cli's -stdin: more arguments, one per line, after those given
        rest += [line.rstrip("\r\n") for line in sys.stdin]
    if "getinfo" in options:
        return getinfo(client)
    if "healthcheck" in options:
        return healthcheck(client)
    if not rest:
        return _nothing_to_do(options)
    if rest[0] == "clusterpin":
        from fakenet.node.cluster import ctl  # here, not at the top: plain RPC calls need none of it

        return ctl.main(rest[1:], lambda method, args: call_method(client, method, args, named=True))
    return call_method(client, rest[0], rest[1:], named="named" in options)


if __name__ == "__main__":
    sys.exit(main())
