"""Names `Network` had before its capabilities became facets, kept for one release.

`Network.__getattr__` looks a missing name up here, warns once per call site (DeprecationWarning)
and follows the new path, so a suite written against the old names keeps running while it moves.
None of these is a method of `Network`: its public surface stays lifecycle and fault verbs.
`net.streams` cannot be kept: it was the list of created stream ids and is now the streams facet
(`net.streams.ids`).
"""

from __future__ import annotations

import functools
import warnings

_ORACLE = ("expect_graph", "expect_available", "expect_unavailable", "expect_availability", "expect_holders",
           "expect_converged", "expect_recovered", "expect_tip", "expect_reorg", "expect_allocations",
           "expect_replicated", "expected_graph", "observed_graph", "holders", "draw", "model", "timeline")

RENAMED: dict[str, str] = {
    **{name: f"oracle.{name}" for name in _ORACLE},
    "expected_available": "oracle.model.availability",
    "create_stream": "streams.create", "load_stream": "streams.load", "update_stream": "streams.update",
    "pin_stream": "streams.pin", "unpin_stream": "streams.unpin", "try_load": "streams.try_load",
    "streams_client": "streams.client",
    "mine": "chain.mine",
    "cluster_pin": "cluster.pin",
    "start_node": "fleet.start_node", "sync_links": "fleet.sync_links", "requires": "fleet.requires",
    "active": "fleet.active", "runtimes": "fleet.runtimes",
}


def follow(net, name: str):
    """The object the old name now lives at, after a DeprecationWarning that names the new path."""
    new = RENAMED[name]
    warnings.warn(f"net.{name} is net.{new} now; the old name goes in the next release",
                  DeprecationWarning, stacklevel=3)
    return functools.reduce(getattr, new.split("."), net)
