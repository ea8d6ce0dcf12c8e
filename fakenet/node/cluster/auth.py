"""Cluster membership: a shared secret, as ipfs-cluster's `secret`, seals every cluster message.

Passing the swarm handshake proves only that a peer holds *a* key; without a swarm key anyone
who can reach port 4011 gets that far. Pinset writes, heartbeats and recover requests change
what every node pins, so each carries an HMAC-SHA256 over its canonical JSON (all fields but
`hops`, which forwarders decrement, and the MAC itself) under the cluster secret; a message
that does not verify is dropped. Anti-entropy needs no per-entry MACs: the whole state a member
sends is sealed, and only members can seal.

Where the secret comes from, first match wins:

1. `--cluster-secret` / FAKENET_CLUSTER_SECRET (any text; ipfs-cluster uses 64 hex digits);
2. the swarm key, when the data dir has one (a private network is also a private cluster);
3. the network name. This keeps networks that configure nothing working, but the network name
   is no secret: such a cluster accepts any peer on the network, and the node says so at start.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

_LABEL = b"fakenet-cluster-secret/1:"
UNSEALED = ("hops", "mac")  # fields a MAC does not cover


@dataclass(frozen=True)
class ClusterSecret:
    key: bytes
    source: str  # "configured", "swarm key" or "network name": logged at start, never the key

    @classmethod
    def derive(cls, configured: str | None, swarm_key: bytes | None, network: str) -> ClusterSecret:
        if configured:
            return cls(hashlib.sha256(_LABEL + configured.encode()).digest(), "configured")
        if swarm_key:
            return cls(hashlib.sha256(_LABEL + b"swarm-key:" + swarm_key).digest(), "swarm key")
        return cls(hashlib.sha256(_LABEL + b"network:" + network.encode()).digest(), "network name")

    @property
    def guessable(self) -> bool:
        return self.source == "network name"

    def _mac(self, message: dict) -> str:
        covered = {key: value for key, value in message.items() if key not in UNSEALED}
        text = json.dumps(covered, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def seal(self, message: dict) -> dict:
        return {**message, "mac": self._mac(message)}

    def opens(self, message: dict) -> bool:
        """Whether a member sealed `message` (hops aside, unchanged since)."""
        mac = message.get("mac")
        try:
            return isinstance(mac, str) and hmac.compare_digest(self._mac(message), mac)
        except (TypeError, ValueError):  # not JSON we could have sealed (NaN, odd keys): not a member's
            return False
