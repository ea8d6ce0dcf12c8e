"""Litecoin Core (Debian's litecoind 0.21, the bitcoin-core 0.21 code base) in regtest as a node kind.

Docker only: the image (fakenet/image_litecoin.py) runs compose/litecoin/bin/litecoin-node, which
writes the conf from the environment (credentials never on a command line) and execs the daemon
with `connect=` to the topology peers after it in natural order: one connection per link, since
Core would keep two when both ends dial (cli -getinfo then counts 5 or 6 in a 4-node mesh). Litecoin Core cannot filter its own links, so
the docker backend filters packets; it has no node key, so the entrypoint makes a random id on
first start, keeps it in the data dir and sends it as the user-agent comment: peers report it in
getpeerinfo's `subver`, a restart keeps it (a container address would not survive one), and what
identifies a peer is what the node itself says, not a name the harness handed it.

Observed links: a connection to a crashed, paused or cut-off peer stays in getpeerinfo until
Litecoin's 20-minute ping timeout, so a peer counts as connected only if it answers a ping now
(its received pong bytes grow after the client's `ping`): the same "answers within a couple of
seconds" the fakenet node's peer timeout gives.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Mapping

from bitcoin.segwit_addr import encode as bech32_encode

from fakenet.errors import ConfigError
from fakenet.kinds.base import CHAIN, Launch, NodeClient, NodeKind, Summary, Tip
from fakenet.naming import natural

RPC_PORT, P2P_PORT = 19443, 19444
# BIP173's test program at Litecoin's regtest prefix: a valid address nobody holds keys for.
MINE_TO = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3"
REGTEST_HRP = "rltc"
PONG_WAIT = 2.5  # seconds a live peer has to answer a ping: milliseconds on a bridge, more on a loaded host
_COMMENT = re.compile(r"\(([^()]*)\)")


def node_id(subversion: str) -> str:
    """The id in a user agent such as `/LitecoinCore:0.21.2.1(3f9a…)/`, '' if there is none."""
    found = _COMMENT.search(subversion or "")
    return found.group(1) if found else ""


def mining_address(identity: str) -> str:
    """A regtest P2WPKH address of the node's own (nobody's key): two sides of a partition mining
    to one address in the same second would make identical blocks, and no fork."""
    return bech32_encode(REGTEST_HRP, 0, hashlib.sha256(identity.encode()).digest()[:20])


def _pongs(peer: dict) -> int:
    return peer.get("bytesrecv_per_msg", {}).get("pong", 0)


def dialled(name: str, peers) -> list[str]:
    """The hosts this node dials: only peers later in natural order, so each topology link is one
    connection (the earlier end dials, the later one accepts), as cli -getinfo's count expects."""
    return [host for peer, host in peers if natural(peer) > natural(name)]


class LitecoinClient(NodeClient):
    _address: str | None = None

    def ready(self) -> bool:
        return self.rpc.getblockcount() is not None

    def identity(self) -> str:
        return node_id(self.rpc.getnetworkinfo()["subversion"])

    def peer_identities(self) -> set[str]:
        """Ids of handshaken peers that answer a ping now (each counts once, however many
        connections it has)."""
        before = {peer["id"]: _pongs(peer) for peer in self.rpc.getpeerinfo()}
        self.rpc.ping()
        deadline = time.monotonic() + PONG_WAIT
        while True:
            peers = self.rpc.getpeerinfo()
            answered = [p for p in peers if _pongs(p) > before.get(p["id"], 0)]
            if len(answered) == len(peers) or time.monotonic() > deadline:
                return {node_id(p.get("subver", "")) for p in answered} - {""}
            time.sleep(0.05)  # a poll: pongs arrive within the node's 100 ms message loop

    def summary(self) -> Summary:
        """Live peers only: Core keeps a dead connection in getpeerinfo until its 20-minute ping timeout."""
        network, height = self.rpc.batch([("getnetworkinfo", []), ("getblockcount", [])])
        return Summary(node_id(network["subversion"]), height, len(self.peer_identities()))

    # chain
    def tip(self) -> Tip:
        info = self.rpc.getblockchaininfo()
        return Tip(info["bestblockhash"], info["blocks"], int(info["chainwork"], 16))

    def mine(self, blocks: int) -> list[str]:
        self._address = self._address or mining_address(self.identity())
        return self.rpc.generatetoaddress(blocks, self._address)

    def chain_tips(self) -> list[dict]:
        return self.rpc.getchaintips()


class LitecoinKind(NodeKind):
    name = "litecoin"
    capabilities = frozenset({CHAIN})
    ports = {"rpc": RPC_PORT, "p2p": P2P_PORT}
    published = ("rpc",)
    datadir = "/data"
    identity_file = None  # the id in the data dir is no key: peers trust nothing, so losing it changes no link
    link_control = False
    backends = ("docker",)
    status_command = ("fakenet-status",)  # in the image: id, height, peers once per node, as JSON

    def image(self, progress, client) -> str:
        from fakenet.image_litecoin import ensure_litecoin_image

        return ensure_litecoin_image(progress=progress, client=client)

    def environment(self, launch: Launch) -> dict[str, str]:
        self.check_settings(launch.settings)
        return {"LITECOIN_DATADIR": launch.datadir, "LITECOIN_PEERS": " ".join(dialled(launch.name, launch.peers)),
                "LITECOIN_RPCUSER": launch.credentials[0], "LITECOIN_RPCPASSWORD": launch.credentials[1]}

    def credentials(self, environment: Mapping[str, str]) -> tuple[str, str] | None:
        user, password = environment.get("LITECOIN_RPCUSER"), environment.get("LITECOIN_RPCPASSWORD")
        return (user, password) if user and password else None

    def local_command(self, launch: Launch) -> list[str]:
        raise ConfigError("node kind 'litecoin' runs on the docker backend only: Litecoin Core cannot cut its "
                          "own links, and only a container's namespace gives the packet filter a place to do it")

    def client(self, rpc) -> LitecoinClient:
        return LitecoinClient(rpc)
