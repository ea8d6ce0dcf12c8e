"""ceramic-one's API (rust-ceramic, api/ceramic.yaml) on port 5101, over the same stream store as 7007.

    car.py       CARv1 files: the form events travel in
    event_id.py  EventIds as rust-ceramic builds them (CIP-124): network, separator, controller,
                 init CID, event CID
    events.py    an event's CAR to and from the commits the stream store keeps
    feed.py      every event this node accepted, in order, with resume tokens; registered interests
    ingest.py    one event into the stream store, the checks a posted or a synced event passes
    stream_states.py  a stream's state: held by the stream service, or rebuilt from the feed's events
    ranges.py    ranges of EventIds and their fingerprints (count, associative hash)
    recon.py     interest sync with peers by set reconciliation over the swarm; its /metrics
    api.py       the HTTP routes under /ceramic
    kubo_subset.py  the Kubo RPC subset on /api/v0 of the same port

A commit written through js-ceramic's API on 7007 is an event here, and an event posted here is
a commit there: one store, two API generations.
"""
