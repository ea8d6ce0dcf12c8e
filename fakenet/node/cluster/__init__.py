"""Replicated pinning across the network, modelled on ipfs-cluster.

    allocation.py  which peers hold an item: rendezvous hashing over live PeerIDs (pure; the oracle calls it)
    pinset.py      the shared pinset: a last-writer-wins CRDT map with Lamport clocks
    store.py       the pinset and the pins made for the cluster, in the data dir (atomic JSON)
    report.py      statuses (ipfs-cluster's names) and a node's report of its own items
    liveness.py    the failure detector: heartbeats and a TTL, on an injected clock
    reconcile.py   what to pin and unpin, from one snapshot (pure)
    tracker.py     carries out pins and unpins on the stream service; local status
    gossip.py      heartbeats, pinset writes, anti-entropy and recover over the swarm
    service.py     ClusterService: the above wired together and driven by two loops
    views.py       ipfs-cluster-shaped JSON; rpc.py (JSON-RPC), rest.py (9094), ctl.py (`cli clusterpin`)

The node imports service.py and the API modules; nothing here imports the daemon. This file
imports nothing, so that `cli clusterpin` (ctl.py) starts without loading the node's stack.
"""
