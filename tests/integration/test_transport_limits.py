"""Issue 24, the transport half, on real node processes: what anyone on the path or anyone who can
reach a port can do without credentials (tamper with swarm frames, hold connections, flood refused
hellos, write through a browser), and what a client with credentials can no longer do to the RPC."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import struct
import time
from pathlib import Path

import ipfshttpclient
import pytest
import requests

from fakenet.fuzz.peer import RoguePeer
from support import local_nodes as local
from fakenet.harness.waits import wait_for
from fakenet.node.settings import API_PORT, CLUSTER_PORT, IPFS_PORT, RPC_PORT, SWARM_PORT

DIALER_HANDSHAKE_FRAMES = 3  # hello, auth, ready: what a dialer sends before its first message


class FlippingRelay:
    """A man in the middle between a dialer and a node: forwards both ways, cutting the dialer's
    byte stream at frame boundaries (every frame, plain or sealed, starts with its 4-byte length),
    and flips one byte of one chosen frame."""

    def __init__(self, target: tuple[str, int], frame_index: int, offset: int):
        self.target, self.frame_index, self.offset = target, frame_index, offset
        self.flipped = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, client_reader, client_writer) -> None:
        node_reader, node_writer = await asyncio.open_connection(*self.target)
        back = asyncio.create_task(self._pipe(node_reader, client_writer))
        try:
            index = 0
            while True:
                prefix = await client_reader.readexactly(4)
                frame = bytearray(prefix + await client_reader.readexactly(int.from_bytes(prefix, "big")))
                if index == self.frame_index:
                    frame[self.offset] ^= 0x01
                    self.flipped.set()
                node_writer.write(bytes(frame))
                await node_writer.drain()
                index += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            node_writer.close()
            await asyncio.gather(back, return_exceptions=True)

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def close(self) -> None:
        self.server.close()


async def answers_after_tampering(node, stream_id: str) -> str:
    """Send a stream query whose qid the relay changes from a… to `a… on the wire; return what the
    node did: "answered <qid>" or "closed"."""
    qid = "a" * 16
    query = {"t": "sq", "qid": qid, "stream": stream_id, "hops": 1}
    offset = 4 + json.dumps(query, separators=(",", ":")).encode().index(qid.encode())  # past the length
    relay = FlippingRelay((node.ip, SWARM_PORT), DIALER_HANDSHAKE_FRAMES, offset)
    port = await relay.start()
    try:
        rogue = await RoguePeer.connect("127.0.0.1", port)
        await rogue.send(query)
        try:
            answer = await rogue.receive("sr", timeout=5)
        except (asyncio.IncompleteReadError, ConnectionError):
            return "closed"
        finally:
            rogue.close()
        assert relay.flipped.is_set()
        return f"answered {answer['qid']}"
    finally:
        relay.close()


def test_a_swarm_frame_altered_on_the_wire_is_refused_and_the_connection_closed(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    stream_id = node.rpc.createstream({"balance": 200})["streamId"]
    outcome = asyncio.run(answers_after_tampering(node, stream_id))
    assert outcome == "closed", f"the node took a frame altered on the path: it {outcome}"
    wait_for(lambda: node.logs(40), lambda lines: any("failed authentication" in line for line in lines), timeout=5,
             expected="the node logs why it dropped the peer", logs=node.logs)
    assert asyncio.run(barrier(node, stream_id))["tip"], "an untampered peer is still served"


async def barrier(node, stream_id: str) -> dict:
    rogue = await RoguePeer.connect(node.ip, SWARM_PORT)
    try:
        return await rogue.barrier(stream_id)
    finally:
        rogue.close()


# -- the cookie (bitcoin-core removes it at a clean stop) --------------------------------------------

NO_CREDENTIALS = {"RPCUSER": None, "RPCPASSWORD": None}  # the node then writes a cookie, as bitcoind does

def test_the_cookie_file_is_removed_at_a_clean_stop(tmp_path):
    (node,) = local.full_mesh(tmp_path, 1, variables=NO_CREDENTIALS)
    cookie = node.datadir / ".cookie"
    node.start()
    try:
        wait_for(cookie.exists, bool, timeout=20, expected=f"{node.name} writes {cookie}", logs=node.logs)
        wait_for(lambda: node.logs(40), lambda lines: any("event=ready" in line for line in lines),
                 timeout=20, expected=f"{node.name} is ready", logs=node.logs)
        node.stop()
        assert node.process.returncode == 0, node.logs()
        assert not cookie.exists(), f"{cookie} outlived a clean stop"
    finally:
        node.close()


# -- connection limits without credentials ------------------------------------------------------

HALF_OPEN = 300
REQUESTS = 15
NORMAL_REQUEST = {  # port -> (method, path): what a client of that port sends; any HTTP answer counts
    RPC_PORT: ("POST", "/"), IPFS_PORT: ("POST", "/api/v0/version"),
    API_PORT: ("GET", "/api/v0/node/healthcheck"), CLUSTER_PORT: ("GET", "/id"),
}


@contextlib.contextmanager
def half_open(host: str, port: int, count: int, partial: bytes = b"POST / HTTP/1.1\r\nHost: x\r\n"):
    """`count` connections that each sent the start of a request and then nothing (b"": idle)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, port), timeout=5)
            if partial:
                sock.sendall(partial)
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def started(start_nodes, tmp_path):
    """One node, once its swarm listens too (RPC answers a moment before it does)."""
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    wait_for(node.log_path.read_text, lambda text: "event=ready" in text, timeout=20,
             expected=f"{node.name} logs ready", logs=node.logs)
    return node


def answered(node, port: int) -> int:
    method, path = NORMAL_REQUEST[port]
    count = 0
    for _ in range(REQUESTS):
        try:
            requests.request(method, f"http://{node.ip}:{port}{path}", timeout=3)
            count += 1
        except requests.RequestException:
            pass
    return count


@pytest.mark.parametrize("port", list(NORMAL_REQUEST), ids=[str(port) for port in NORMAL_REQUEST])
def test_300_half_open_connections_leave_normal_requests_answered(tmp_path, start_nodes, port):
    """Issue 24: 300 half-sent connections locked RPC or 7007 out (0 of 15 answered); the requests
    run well inside the 10 s header timeout, so only eviction can answer them."""
    node = started(start_nodes, tmp_path)
    with half_open(node.ip, port, HALF_OPEN):
        assert answered(node, port) == REQUESTS


def test_200_idle_sockets_cannot_hold_the_swarm_handshake_slots(tmp_path, start_nodes):
    """Issue 24: 200 idle sockets held the 64 handshake slots and refused every peer until they
    timed out; a peer now handshakes while they are all still open."""
    node = started(start_nodes, tmp_path)
    stream_id = node.rpc.createstream({"barrier": True})["streamId"]
    with half_open(node.ip, SWARM_PORT, 200, partial=b""):
        assert asyncio.run(asyncio.wait_for(barrier(node, stream_id), 3))["tip"]


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


async def refused_hellos(host: str, count: int, concurrency: int = 16) -> int:
    """Hellos the node must refuse (a swarm key it does not have), each from a new 'peer'."""
    gate = asyncio.Semaphore(concurrency)
    refused = 0

    async def one(n: int) -> None:
        nonlocal refused
        async with gate:
            reader, writer = await asyncio.open_connection(host, SWARM_PORT)
            hello = {"t": "hello", "proto": "fakenet/2", "peer_id": f"12D3KooWstranger{n:08d}", "name": f"s{n}",
                     "announce": f"/ip4/10.9.{n // 256 % 256}.{n % 256}/tcp/4011", "network": "fakenet",
                     "nonce": f"{n:032x}", "psk": f"{n:016x}", "height": 0, "eph": "09" + "00" * 31}
            payload = json.dumps(hello).encode()
            writer.write(len(payload).to_bytes(4, "big") + payload)
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):
                    pass
                refused += 1
            # Reset, not FIN: each closed connection would hold a TIME_WAIT entry in the host's
            # conntrack table for two minutes, 23,000 of them here, and the engine reads that whole
            # table at every container's network leave (libnetwork purges the leaving address's
            # entries): ~0.12 CPU s a leave at 12,000 entries against ~0.025 s, for every docker
            # test tearing down beside this one. The node has closed first either way.
            with contextlib.suppress(OSError):  # reset by the node: the socket is closed already
                writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
            writer.close()

    await asyncio.gather(*(one(n) for n in range(count)))
    return refused


def test_10000_refused_hellos_grow_memory_and_the_log_by_a_bounded_amount(tmp_path, start_nodes):
    """Issue 24: +5 MB RSS and +4 MB of log per 10,000 refused hellos; the figures are printed.

    RSS moves by itself (an arena grows once, a page is touched late): a CI run saw +1,060 KiB over
    one batch with nothing kept. A leak grows every batch by the same amount, so the smaller growth
    of two batches is the figure: a leak of 105 bytes per hello fails both."""
    node = started(start_nodes, tmp_path)
    pid = node.process.pid
    # Warm up: the allocator's arenas and the first log lines (RSS then levels off: +4 KiB over the
    # last 3,000 of 18,000 measured).
    asyncio.run(refused_hellos(node.ip, 3_000))
    growths = []
    for _batch in range(2):
        rss_before, log_before = rss_kib(pid), node.log_path.stat().st_size
        assert asyncio.run(refused_hellos(node.ip, 10_000)) == 10_000
        growths.append((rss_kib(pid) - rss_before, node.log_path.stat().st_size - log_before))
    print("10,000 refused hellos, two batches: " +
          ", ".join(f"RSS +{rss} KiB, log +{log} bytes" for rss, log in growths))
    rss_growth = min(rss for rss, _log in growths)
    log_growth = min(log for _rss, log in growths)
    assert rss_growth < 1024, f"RSS grew by {growths[0][0]} and {growths[1][0]} KiB over two batches"
    assert log_growth < 64 * 1024, f"the log grew by {growths[0][1]} and {growths[1][1]} bytes"
    assert node.rpc.getblockcount() == 0, "the node still answers"


# -- 5011 refuses cross-site requests as Kubo does -------------------------------------------------

EVIL = "https://evil.example"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def pinned(node) -> set[str]:
    return set(requests.post(f"{node.ipfs_url}/api/v0/pin/ls", timeout=5).json()["Keys"])


def put_block(node, data: bytes, pin: bool) -> str:
    answer = requests.post(f"{node.ipfs_url}/api/v0/block/put", params={"pin": str(pin).lower()},
                           files={"file": data}, timeout=5)
    return answer.json()["Key"]


@pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")  # ipfshttpclient vs urllib3 2.x
def test_5011_refuses_cross_site_form_and_multipart_posts_and_serves_clients(tmp_path, start_nodes):
    """Issue 24: 5011 took a web page's form and multipart POSTs that pin and unpin."""
    node = started(start_nodes, tmp_path)
    kept, other = put_block(node, b"kept", pin=True), put_block(node, b"other", pin=False)
    attacks = {
        "form unpin, foreign Origin": dict(url="pin/rm", params={"arg": kept}, data={"x": "1"},
                                           headers={"Origin": EVIL, "User-Agent": FIREFOX}),
        "multipart pin, foreign Referer": dict(url="pin/add", params={"arg": other}, files={"f": b"x"},
                                               headers={"Referer": f"{EVIL}/page", "User-Agent": FIREFOX}),
        "browser POST, no Origin nor Referer": dict(url="pin/rm", params={"arg": kept}, data={"x": "1"},
                                                    headers={"User-Agent": FIREFOX}),
        "Origin null (sandboxed frame)": dict(url="pin/rm", params={"arg": kept}, headers={"Origin": "null"}),
    }
    statuses = {name: requests.post(f"{node.ipfs_url}/api/v0/{attack.pop('url')}", timeout=5, **attack).status_code
                for name, attack in attacks.items()}
    assert statuses == dict.fromkeys(attacks, 403)
    assert kept in pinned(node) and other not in pinned(node)
    own_page = requests.post(f"{node.ipfs_url}/api/v0/pin/add", params={"arg": other}, timeout=5,
                             headers={"Origin": f"http://127.0.0.1:{IPFS_PORT}", "User-Agent": FIREFOX})
    assert own_page.status_code == 200, own_page.text
    with ipfshttpclient.connect(f"/ip4/{node.ip}/tcp/{IPFS_PORT}/http") as client:
        assert client.pin.rm(kept)["Pins"] == [kept]
    assert kept not in pinned(node)


# -- long RPCs ---------------------------------------------------------------------------------------

MINE_TO = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def rpc_error(node, *params) -> dict:
    reply = requests.post(f"http://{node.ip}:{RPC_PORT}/", auth=node.credentials, timeout=5,
                          json={"jsonrpc": "1.0", "id": 1, "method": "generatetoaddress", "params": list(params)})
    return reply.json()["error"]


def test_generatetoaddress_is_range_checked_as_litecoin_core(tmp_path, start_nodes):
    """Issue 24: `generatetoaddress 2^64` blocked the RPC for good; Litecoin Core 0.21.2 answers
    -1 "JSON integer out of range" for any count or maxtries beyond 32 bits (measured with litecoind)."""
    node = started(start_nodes, tmp_path)
    out_of_range = {"code": -1, "message": "JSON integer out of range"}
    assert rpc_error(node, 2**64, MINE_TO) == out_of_range
    assert rpc_error(node, 2**31, MINE_TO) == out_of_range
    assert rpc_error(node, 1, MINE_TO, 2**40) == out_of_range
    assert node.rpc.generatetoaddress(2, MINE_TO, 0) == [], "core: no tries, no blocks"
    assert node.rpc.getblockcount() == 0


def start_generating(node, count: int) -> socket.socket:
    """A generatetoaddress call on a raw socket, so the test can hang up on it."""
    body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": "generatetoaddress", "params": [count, MINE_TO]}).encode()
    auth = base64.b64encode(":".join(node.credentials).encode()).decode()
    sock = socket.create_connection((node.ip, RPC_PORT), timeout=5)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth.encode()
                 + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                 + b"\r\n\r\n" + body)
    return sock


class Settled:
    """A wait_for check: true once the observed value has not changed for `quiet_for` seconds."""

    def __init__(self, quiet_for: float = 1.0):
        self.quiet_for, self.value, self.since = quiet_for, None, 0.0

    def __call__(self, value) -> bool:
        if value != self.value or not self.since:
            self.value, self.since = value, time.monotonic()
        return time.monotonic() - self.since >= self.quiet_for


def test_a_long_generatetoaddress_yields_to_other_rpcs_and_stops_when_its_client_goes(tmp_path, start_nodes):
    """The largest count core accepts (2^31-1 blocks): other RPCs are answered while it mines, and
    mining stops once the client hangs up."""
    node = started(start_nodes, tmp_path)
    sock = start_generating(node, 2**31 - 1)
    try:
        wait_for(node.rpc.getblockcount, lambda height: height >= 5, timeout=20,
                 expected="the long call is mining", logs=node.logs)
        answered_meanwhile = 0
        for _ in range(REQUESTS):
            with contextlib.suppress(requests.RequestException):
                requests.post(f"http://{node.ip}:{RPC_PORT}/", auth=node.credentials, timeout=1,
                              json={"jsonrpc": "1.0", "id": 1, "method": "getblockcount", "params": []})
                answered_meanwhile += 1
        assert answered_meanwhile == REQUESTS
    finally:
        sock.close()
    wait_for(node.rpc.getblockcount, Settled(), timeout=15,
             expected="mining stops once the client hung up (the height stays put for 1 s)", logs=node.logs)
