"""The fakenet node's configuration as a Launch gives it: the settings table and the swarm address
peers dial. Shared by its kind (environment variables for processes and containers) and its
in-process node (Settings for the sim backend), so the backends run one configuration."""

from __future__ import annotations

import ipaddress

SWARM_PORT = 4011
# Harness setting -> the node's environment variable FAKENET_<X> and its Settings field <x> (fakenet/node/settings.py).
SETTINGS = {"cache_limit": "STREAM_CACHE_LIMIT", "cache_bytes": "STREAM_CACHE_BYTES", "sync_timeout": "SYNC_TIMEOUT",
            "peer_timeout": "PEER_TIMEOUT", "cluster_ttl": "CLUSTER_TTL", "automine": "AUTOMINE",
            "cluster_repin": "CLUSTER_REPIN", "cluster": "CLUSTER"}
SCHEMA = {"cache_limit": "count", "cache_bytes": "count", "sync_timeout": "duration", "peer_timeout": "duration",
          "cluster_ttl": "duration", "automine": "duration", "cluster_repin": "flag",
          "cluster": "flag"}  # kinds.base.SETTING_TYPES
# The node's stream cache byte limit unless cache_bytes sets one (README, "Node settings": 64 MiB). Said
# here, not read from the node's code: the model that uses it must not import what it checks.
CACHE_BYTES = 64 * 1024 * 1024


def swarm_address(host: str) -> str:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f"/dns4/{host}/tcp/{SWARM_PORT}"
    return f"/ip{ip.version}/{host}/tcp/{SWARM_PORT}"
