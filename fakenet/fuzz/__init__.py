"""Fuzzing a node: seeded hostile inputs (inputs.py), a hostile swarm peer (peer.py) and a timed run
against a fresh local node (runner.py) that the CLI exposes as `./fake fuzz --seconds N`."""

from fakenet.fuzz.runner import run

__all__ = ["run"]
