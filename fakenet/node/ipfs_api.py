"""IPFS-style HTTP RPC on 5011: the subset of Kubo's /api/v0 that IPFS HTTP clients use.

    /api/v0/version                       {"Version", "Commit", "Repo", "System", "Golang"}
    /api/v0/id[?arg=peerid]               {"ID", "PublicKey", "Addresses", "AgentVersion", "ProtocolVersion"}
    /api/v0/swarm/peers                   {"Peers": [{"Addr", "Peer", "Latency", "Muxer", "Direction", "Streams"}]}
    /api/v0/swarm/connect?arg=multiaddr   dial once: {"Strings": ["connect <id> success"]}
    /api/v0/block/put                     multipart file; format|cid-codec raw (default) or dag-cbor,
                                          mhtype sha2-256, pin flag: {"Key", "Size"}
    /api/v0/block/get?arg=cid             the block's bytes
    /api/v0/block/stat?arg=cid            {"Key", "Size"}
    /api/v0/pin/add?arg=cid               {"Pins": [cid, …]}
    /api/v0/pin/ls[?arg=cid][&type=…]     {"Keys": {cid: {"Type": "recursive"}}}
    /api/v0/pin/rm?arg=cid                {"Pins": [cid, …]}

POST only, as Kubo since 0.5 (a GET from a web page must not pin or dial): anything else is 405.
Cross-site requests are refused as Kubo's go-ipfs-cmds refuses them, with 403 "403 - Forbidden":
an Origin, or a Referer's scheme://host, that is not one of Kubo's default allowed origins
(http[s]://127.0.0.1, [::1] or localhost at this port, and the IPFS Companion extensions); and a
POST from a browser (User-Agent "Mozilla…") that carries neither. A web page's form or multipart
POST needs no preflight but always carries an Origin, so it cannot pin or unpin; clients that are
not browsers (ipfshttpclient, curl) send neither header and are served as before.
Bodies over the limit (1 MiB unless the operator sets another) are 413. Every error has Kubo's
shape, {"Message", "Code", "Type": "error"}: a missing or malformed argument is HTTP 400 with
Code 1, anything the command itself refuses is HTTP 500 with Code 0, and texts are Kubo 0.6's
where clients match on them ("invalid path", "is not pinned", "not pinned or pinned indirectly").
The node is offline as far as blocks go: nothing is fetched from peers, so an absent block is
"not found locally (offline)".

`swarm/connect` dials only addresses of this node's network (its peerlist, and peers it is
connected to) unless the operator allows any (`--ipfs-connect-any`); a refused or failed dial
answers the same words whatever the port did, so the endpoint is no port scanner.

Blocks are the pin store's raw blocks plus the commits of pinned streams (on IPFS, Ceramic
commits are plain blocks); pinning a commit copies it into the raw block store. Connections carry
all of fakenet's protocols over one framed channel, so swarm/peers leaves Muxer and Streams empty.
"""

from __future__ import annotations

import base64
import platform
import sys

from urllib.parse import urlsplit

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from multiformats import CID, multibase, multihash

from fakenet.node.version import __version__
from fakenet.node.errors import NodeConfigError
from fakenet.node import excerpt, http_errors, logs, multiaddr
from fakenet.node.log_budget import LogBudget
from fakenet.node.connection import Connection
from fakenet.node.streams import as_cid
from fakenet.node.swarm import DialFailed

# ipfshttpclient checks the daemon version on connect: 0.6.1 accepts [0.4.22, 0.7.0) and raises
# outside it, 0.7.0 accepts [0.4.23, 0.8.0) and raises, 0.8.0a2 accepts [0.5.0, 0.9.0) and warns.
# 0.6.0 is inside all three (0.7.0 would break 0.6.1).
KUBO_VERSION = "0.6.0"
KUBO_REPO_VERSION = "10"
PROTOCOL_VERSION = "ipfs/0.1.0"
MAX_BLOCK = 1024 * 1024  # Kubo refuses bigger blocks: peers would not exchange them
NOT_FOUND = "block was not found locally (offline)"
BLOCK_CODECS = {"raw": "raw", "dag-cbor": "dag-cbor", "cbor": "dag-cbor"}
PIN_TYPES = ("all", "recursive", "direct", "indirect")
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386"}
_BASE58 = multibase.get("base58btc")
_MULTIBASE_PREFIXES = set("bBcCfFkKmMuUzZtTvVhp9")  # the prefixes go-multibase decodes


class _KuboError(Exception):
    """An answer in Kubo's error shape; never leaves this module."""

    def __init__(self, message: str, status: int = 500, code: int = 0):
        super().__init__(message)
        self.status, self.code = status, code


def _required(name: str) -> _KuboError:
    return _KuboError(f'argument "{name}" is required', status=400, code=1)


def _quoted(text: str) -> str:
    """Input in double quotes as Kubo's messages have it (clients match on `invalid path "`), bounded."""
    return excerpt.quoted(text, quote='"')


def _kubo_json(message: str, status: int, code: int, headers=None) -> web.Response:
    return web.json_response({"Message": excerpt.bounded(message), "Code": code, "Type": "error"}, status=status,
                             headers=headers)


# Kubo's defaultLocalhostOrigins and companionBrowserExtensionOrigins (core/corehttp/commands.go).
_LOCAL_ORIGINS = ("http://127.0.0.1:{port}", "https://127.0.0.1:{port}", "http://[::1]:{port}",
                  "https://[::1]:{port}", "http://localhost:{port}", "https://localhost:{port}")
_COMPANION_ORIGINS = ("chrome-extension://nibjojkomfdiaoajekhjakgkdhaomnch",
                      "chrome-extension://hjoieblefckbooibpepigmacodalfndh")


def allowed_origins(port: int) -> frozenset[str]:
    return frozenset(origin.format(port=port) for origin in _LOCAL_ORIGINS) | frozenset(_COMPANION_ORIGINS)


def cross_site(request: web.Request, allowed: frozenset[str]) -> str | None:
    """Why Kubo would refuse this request as cross-site (allowOrigin, allowReferer,
    allowUserAgent in go-ipfs-cmds), or None."""
    origin, referer = request.headers.get("Origin"), request.headers.get("Referer")
    if origin and origin not in allowed:
        return f"origin {origin!r} is not allowed"
    if referer and _referer_origin(referer) not in allowed:
        return "referer is not from an allowed origin"
    if request.method == "POST" and not origin and not referer \
            and request.headers.get("User-Agent", "").startswith("Mozilla"):
        return "a browser POST without Origin or Referer"
    return None


def _referer_origin(referer: str) -> str | None:
    try:
        parts = urlsplit(referer)
    except ValueError:  # a malformed referer is still a referer: refused, as Kubo does
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _middlewares(body_limit: int, port: int) -> list:
    log = logs.get()
    budget = LogBudget()
    allowed = allowed_origins(port)

    @web.middleware
    async def kubo_errors(request: web.Request, handler):
        try:
            return await handler(request)
        except _KuboError as exc:
            return _kubo_json(str(exc), exc.status, exc.code)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
            return _kubo_json(f"{exc.status} - {exc.reason}", exc.status, 1 if exc.status < 500 else 0, allow)
        except Exception as exc:  # a bug must still answer in Kubo's shape, and be seen in the log
            if http_errors.client_gone(request, exc):  # not a bug: the client hung up mid-request
                budget.info("http_client_gone", path=request.path, error=excerpt.clip(repr(exc)))
                return _kubo_json("the client closed the connection", http_errors.CLIENT_GONE, 0)
            log.error("ipfs_api_crashed", path=request.path, exc_info=exc)
            return _kubo_json(f"internal error: {exc!r}", 500, 0)

    @web.middleware
    async def same_site(request: web.Request, handler):
        why = cross_site(request, allowed)
        if why is not None:
            budget.warning("ipfs_api_blocked", path=request.path, reason=f"{why} (possible CSRF)")
            return web.Response(status=403, text="403 - Forbidden")
        return await handler(request)

    @web.middleware
    async def post_only(request: web.Request, handler):
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        if request.content_length is not None and request.content_length > body_limit:
            raise web.HTTPRequestEntityTooLarge(max_size=body_limit, actual_size=request.content_length)
        return await handler(request)

    return [same_site, kubo_errors, post_only]


# -- request parsing -------------------------------------------------------------------------------

def _args(request: web.Request, name: str) -> list[str]:
    """Every `arg`; at least one, as Kubo requires for its mandatory arguments."""
    args = [arg for arg in request.query.getall("arg", []) if arg]
    if not args:
        raise _required(name)
    return args


def _flag(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    if value.lower() in ("", "1", "t", "true"):  # strconv.ParseBool, as go-ipfs-cmds parses flags
        return True
    if value.lower() in ("0", "f", "false"):
        return False
    raise _KuboError(f'option "{name}": cannot parse {excerpt.quoted(value)} as a bool', status=400, code=1)


def _cid(text: str) -> CID:
    """A CID, also written as an /ipfs/ path; bad text answers as Kubo 0.6 (go-path, go-cid) does.

    A CIDv0 (Qm…) names the same block as its CIDv1 twin, which is how the store knows it."""
    bare = text.removeprefix("/ipfs/")
    try:
        cid = CID.decode(bare)
    except Exception as exc:  # multiformats raises several unrelated types for bad input
        raise _KuboError(f'invalid path {_quoted(text)}: {_cid_problem(bare)}') from exc
    return as_cid(cid.set(version=1) if cid.version == 0 else cid)


def _cid_problem(text: str) -> str:
    """go-cid's words for why text is no CID (clients show them; some match on "invalid path")."""
    if len(text) < 2:
        return "cid too short"
    if text[0] not in _MULTIBASE_PREFIXES and not text.startswith("Qm"):
        return "selected encoding not supported"
    return "invalid cid"


def _peer_addr(text: str) -> multiaddr.PeerAddr:
    try:
        return multiaddr.parse(text.replace("/ipfs/", "/p2p/"))  # /ipfs/ is the older name of /p2p/
    except NodeConfigError as exc:
        raise _KuboError(f'failed to parse multiaddr {_quoted(text)}: {exc}') from exc


def _block_codec(request: web.Request) -> str:
    name = request.query.get("cid-codec") or request.query.get("format") or "raw"
    if name not in BLOCK_CODECS:
        raise _KuboError(f'unsupported block codec {_quoted(name)}: use raw or dag-cbor')
    return BLOCK_CODECS[name]


def _check_hash(request: web.Request) -> None:
    mhtype, mhlen = request.query.get("mhtype", "sha2-256"), request.query.get("mhlen", "-1")
    if mhtype != "sha2-256" or mhlen not in ("-1", "32"):
        raise _KuboError(f"unsupported multihash {excerpt.clip(mhtype)} (length {excerpt.clip(mhlen)}): only sha2-256 is "
                         f"supported")


async def _upload(request: web.Request) -> bytes:
    """The first file of a multipart/form-data body, as Kubo's `block put` reads it."""
    if not request.content_type.startswith("multipart/") or not request.body_exists:
        raise _required("data")
    try:
        part = await (await request.multipart()).next()
        if not isinstance(part, BodyPartReader):
            raise _required("data")
        return await _read_capped(part)
    except (ValueError, RuntimeError, HttpProcessingError) as exc:  # what aiohttp's multipart parser raises
        raise _KuboError(f"malformed multipart body: {exc}", status=400, code=1) from exc


async def _read_capped(part: BodyPartReader) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk():
        data += chunk
        if len(data) > MAX_BLOCK:
            raise _KuboError(f"produced block is over 1MiB ({MAX_BLOCK} bytes): big blocks can't be "
                             f"exchanged with other peers")
    return bytes(data)


# -- answers -------------------------------------------------------------------------------------

def _public_key(peer_id: str) -> str:
    """An ed25519 PeerID inlines the libp2p protobuf public key as an identity multihash."""
    return base64.b64encode(bytes(multihash.unwrap(_BASE58.raw_decoder(peer_id)))).decode()


def _id_info(peer_id: str, announce: str, agent: str, protocol: str) -> dict:
    return {"ID": peer_id, "PublicKey": _public_key(peer_id), "Addresses": [f"{announce}/p2p/{peer_id}"],
            "AgentVersion": agent, "ProtocolVersion": protocol}


def _go_duration(seconds: float | None) -> str:
    """Latency as Kubo prints a Go time.Duration ("1.234ms"), "n/a" before the first ping."""
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3f}".rstrip("0").rstrip(".") + unit
    return f"{round(seconds * 1e9)}ns"


def _remote_multiaddr(conn: Connection) -> str:
    """As libp2p reports it: the address dialled, or the socket address an inbound peer came from."""
    if conn.dial_addr:
        return conn.dial_addr
    host, _, port = conn.remote_addr().rpartition(":")
    if host in ("", "?"):
        return conn.hello.announce
    return f"/{'ip6' if ':' in host else 'ip4'}/{host}/tcp/{port}"


def _peer_info(conn: Connection) -> dict:
    return {"Addr": _remote_multiaddr(conn), "Peer": conn.peer_id, "Latency": _go_duration(conn.pingtime),
            "Muxer": "", "Direction": 1 if conn.inbound else 2, "Streams": []}  # libp2p: 1 in, 2 out


def _version() -> dict:
    machine = platform.machine().lower()
    return {"Version": KUBO_VERSION, "Commit": "", "Repo": KUBO_REPO_VERSION,
            "System": f"{_GOARCH.get(machine, machine)}/{sys.platform}",
            "Golang": f"python{platform.python_version()}"}


# -- the endpoints -------------------------------------------------------------------------------

def agent_version() -> str:
    """What Kubo's AgentVersion says (kubo/<version>/<suffix>), the version the same as /version's."""
    return f"kubo/{KUBO_VERSION}/fakenet-{__version__}"


class IpfsApi:
    def __init__(self, node, connect_any: bool = False):
        self.node, self.connect_any = node, connect_any
        # What any caller of this unauthenticated port can make the node log (refused and failed
        # dials): a few lines, then counted (log_budget.py), not a line per request.
        self._log = LogBudget()

    @property
    def pins(self):
        return self.node.pins

    async def version(self, _request: web.Request) -> web.Response:
        return web.json_response(_version())

    async def id(self, request: web.Request) -> web.Response:
        own = self.node.identity.peer_id
        peer = request.query.get("arg") or own
        if peer == own:
            return web.json_response(_id_info(own, self.node.swarm.local.announce, agent_version(), PROTOCOL_VERSION))
        conn = self.node.swarm.connections.get(peer)
        if conn is None:  # no DHT: only connected peers are known
            raise _KuboError("failed to find peer: routing: not found")
        return web.json_response(_id_info(peer, conn.hello.announce, "", ""))

    async def swarm_peers(self, _request: web.Request) -> web.Response:
        conns = sorted(self.node.swarm.connections.values(), key=lambda conn: conn.peer_id)
        return web.json_response({"Peers": [_peer_info(conn) for conn in conns]})

    async def swarm_connect(self, request: web.Request) -> web.Response:
        addrs = [_peer_addr(text) for text in _args(request, "address")]  # all parsed before any dial, as Kubo
        return web.json_response({"Strings": [await self._connect(addr) for addr in addrs]})

    def _in_network(self, addr: multiaddr.PeerAddr) -> bool:
        swarm = self.node.swarm
        return (addr.dial_addr in {peer.dial_addr for peer in swarm.peer_addrs()}
                or addr.dial_addr in {conn.dial_addr or conn.hello.announce for conn in swarm.connections.values()}
                or (addr.peer_id is not None and addr.peer_id in swarm.connections))

    async def _connect(self, addr: multiaddr.PeerAddr) -> str:
        if not (self.connect_any or self._in_network(addr)):
            self._log.warning("ipfs_connect_refused", addr=excerpt.clip(str(addr)))
            raise _KuboError(f"connect {excerpt.clip(addr.peer_id or str(addr))} failure: {excerpt.clip(addr.dial_addr)} "
                             f"is not in this node's "
                             f"network (peerlist or connected peers); the operator can allow any address "
                             f"with --ipfs-connect-any")
        try:
            conn = await self.node.swarm.dial_once(addr)
        except DialFailed as exc:  # the reason goes to the log only: open and closed ports must look alike
            self._log.info("ipfs_connect_failed", addr=excerpt.clip(str(addr)), error=str(exc))
            raise _KuboError(f"connect {excerpt.clip(addr.peer_id or str(addr))} failure: dial failed") from exc
        return f"connect {conn.peer_id} success"

    async def block_put(self, request: web.Request) -> web.Response:
        codec_name, pin = _block_codec(request), _flag(request, "pin")
        _check_hash(request)
        data = await _upload(request)
        try:
            cid = self.pins.put_block(data, codec_name)
        except ValueError as exc:  # bytes that are not the dag-cbor they claim to be
            raise _KuboError(str(exc)) from exc
        if pin:
            self.pins.pin_block(cid)
        return web.json_response({"Key": str(cid), "Size": len(data)})

    def _block(self, cid: CID) -> bytes:
        data = self.pins.get_block(cid)
        if data is None:
            raise _KuboError(NOT_FOUND)
        return data

    async def block_get(self, request: web.Request) -> web.Response:
        data = self._block(_cid(_args(request, "cid")[0]))
        return web.Response(body=data, content_type="application/octet-stream")

    async def block_stat(self, request: web.Request) -> web.Response:
        cid = _cid(_args(request, "cid")[0])
        return web.json_response({"Key": str(cid), "Size": len(self._block(cid))})

    async def pin_add(self, request: web.Request) -> web.Response:
        cids = [_cid(text) for text in _args(request, "ipfs-path")]
        for cid in cids:
            self._pin(cid)
        return web.json_response({"Pins": [str(cid) for cid in cids]})

    def _pin(self, cid: CID) -> None:
        if self.pins.pin_block(cid):
            return
        data = self._block(cid)  # a commit of a pinned stream: keep it as a block of its own
        try:
            self.pins.pin_block(self.pins.put_block(data, cid.codec.name))
        except ValueError as exc:
            raise _KuboError(f"cannot pin {cid}: {exc}") from exc

    async def pin_ls(self, request: web.Request) -> web.Response:
        kind = request.query.get("type", "all")
        if kind not in PIN_TYPES:
            raise _KuboError(f"invalid type {excerpt.quoted(kind)}, must be one of {{{', '.join(PIN_TYPES[1:])}, all}}")
        pinned = [str(cid) for cid in self.pins.pinned_blocks()] if kind in ("all", "recursive") else []
        keys = self._only_pinned(request.query.getall("arg", []), pinned) if "arg" in request.query else pinned
        return web.json_response({"Keys": {key: {"Type": "recursive"} for key in keys}})

    @staticmethod
    def _only_pinned(texts: list[str], pinned: list[str]) -> list[str]:
        keys = [str(_cid(text)) for text in texts]
        for text, key in zip(texts, keys):
            if key not in pinned:
                raise _KuboError(f"path {excerpt.quoted(text)} is not pinned")
        return keys

    async def pin_rm(self, request: web.Request) -> web.Response:
        cids = [_cid(text) for text in _args(request, "ipfs-path")]
        pinned = {str(cid) for cid in self.pins.pinned_blocks()}
        if any(str(cid) not in pinned for cid in cids):  # check all first: refuse without half-unpinning
            raise _KuboError("not pinned or pinned indirectly")
        for cid in cids:
            self.pins.unpin_block(cid)
        return web.json_response({"Pins": [str(cid) for cid in cids]})

    def routes(self) -> dict:
        return {"version": self.version, "id": self.id, "swarm/peers": self.swarm_peers,
                "swarm/connect": self.swarm_connect, "block/put": self.block_put, "block/get": self.block_get,
                "block/stat": self.block_stat, "pin/add": self.pin_add, "pin/ls": self.pin_ls,
                "pin/rm": self.pin_rm}


def make_app(node, body_limit: int = 1024 * 1024, connect_any: bool = False, prefix: str = "/api/v0/",
             port: int | None = None) -> web.Application:
    """`prefix` "/" makes the app ceramic-one mounts at /api/v0 of port 5101 (ceramic_one/api.py);
    `port` is the one pages see it on, for the cross-site rules (5011 unless said)."""
    port = node.settings.ipfs_port if port is None else port
    app = web.Application(middlewares=_middlewares(body_limit, port), client_max_size=body_limit)
    for path, handler in IpfsApi(node, connect_any).routes().items():
        app.router.add_post(f"{prefix}{path}", handler)
    return app
