"""The stream layer's frame-size limits, without importing the layer (stream_layer.py).

A node meshes before it builds the layer (daemon.py), so its links read frames of the layer's
types before their handlers exist; those frames wait for the handlers, but their size is checked
as they are read, before anything is decoded (framing.check_size). These are the limits the
layer's handlers register, set ahead so that check is never looser in the meantime
(tests/unit/test_layer_limits.py checks they match what the layer registers).
"""

from __future__ import annotations

from fakenet.node import stream_frames


def frame_limits() -> dict[str, int]:
    return {**stream_frames.MAX_BYTES, stream_frames.NEWS_FRAME: stream_frames.NEWS_MAX_BYTES}
