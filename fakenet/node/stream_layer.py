"""What a node builds once it answers RPC: the stream layer (streams, anchoring, the Model index,
the ceramic-one feed and Recon) and the ipfs-cluster service, with their RPC methods.

A module of its own so the daemon can import it after ready: these modules and what they load
(multiformats, dag-cbor, jsonpatch, the cluster) are about half of a node's start-up CPU, and a
node answers RPC (what every readiness check asks) without them (BENCHMARKS.md, node start-up).
Their RPC methods are registered here too; a call to one that arrives before waits for them
(dispatch.Registry.expect_more).
"""

from __future__ import annotations

import functools

from fakenet.node.anchoring import AnchorService
from fakenet.node.ceramic_one import event_id, recon, stream_states
from fakenet.node.ceramic_one.feed import EventFeed
from fakenet.node.cluster import rpc as cluster_rpc
from fakenet.node.cluster.auth import ClusterSecret
from fakenet.node.cluster.service import ClusterService, ClusterSettings
from fakenet.node.component_news import ComponentNews
from fakenet.node.model_index import ModelIndex
from fakenet.node.model_rules import ModelRules
from fakenet.node.rpc import streams as stream_rpc
from fakenet.node.stream_network import StreamNetwork
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache, mid

warm = mid.warm  # jsonschema, imported in a thread once the node is up (mid.py says why)


def build(node) -> None:
    """Attach the layer to `node` (its chain, swarm and identity exist); the node's own key doubles
    as the controller key of streams it creates. Nothing here listens or dials yet."""
    s = node.settings
    node.pins = PinStore(s.datadir / "state.sqlite", s.store)
    node.streams = StreamService(ControllerKey.from_seed(node.identity.seed), StreamCache(s.stream_cache_limit, s.stream_cache_bytes),
                                 node.pins, s.sync_timeout)
    node.streams.network = StreamNetwork(node.swarm, node.streams)
    node.component_news = ComponentNews(node.swarm, node.streams)  # after StreamNetwork: adds to its count
    node.anchors = node.streams.anchors = AnchorService(node.chain, node.streams, s.network)
    node.model_index = ModelIndex(s.datadir / "index.sqlite", s.store)
    node.event_feed = EventFeed(s.datadir / "events.sqlite", event_id.local_network_id(s.network), s.store,
                                s.interest_limit)
    # A MID is checked against its Model as loaded with the feed's events first: a Model the
    # cache evicted is rebuilt from them, not searched for on the network (which may not have it).
    node.streams.rules = ModelRules(functools.partial(stream_states.load, node.streams, node.event_feed))
    node.streams.watchers = [node.model_index, node.event_feed]
    if node.serve_http:  # interests and events come in over 5101 alone: a node without it has none to sync
        node.recon = recon.Recon(node.swarm, node.event_feed, node.streams)
        node.swarm.spawn(node.recon.run())
    secret = ClusterSecret.derive(s.cluster_secret, node.swarm_key.key if node.swarm_key else None, s.network)
    if secret.guessable:
        node._log.warning("cluster_secret_guessable", source=secret.source,
                          hint="set FAKENET_CLUSTER_SECRET (or a swarm.key): any peer on this network can "
                               "write the pinset")
    node.cluster = ClusterService(node.swarm, node.streams, s.datadir, s.name,
                                  ClusterSettings(s.cluster_ttl, s.cluster_repin, secret))
    for module in (stream_rpc, cluster_rpc):
        module.register(node.registry, node)


def close(node) -> None:
    """The layer's stores, those that were opened (a node stopped during its start has fewer)."""
    for name in ("pins", "model_index", "event_feed"):
        store = getattr(node, name, None)
        if store is not None:
            store.close()
