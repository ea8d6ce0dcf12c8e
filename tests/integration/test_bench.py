"""`fake bench` end to end on the real engine, on its smallest group (two 4-node line networks)."""

import json

import docker
import pytest

from fakenet.labels import PROJECT_LABEL, RUN_LABEL

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def leftovers(run_id: str) -> list[str]:
    client = docker.from_env()
    found = (client.containers.list(all=True, ignore_removed=True, filters={"label": PROJECT_LABEL}) +
             client.networks.list(filters={"label": PROJECT_LABEL}) +
             client.volumes.list(filters={"label": PROJECT_LABEL}))
    labels = [(item.name, item.attrs.get("Labels") or item.attrs.get("Config", {}).get("Labels") or {}) for item in found]
    return [name for name, values in labels if values.get(RUN_LABEL, "").startswith(run_id)]


def test_quick_streams_bench_writes_every_figure_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    """The bench's plumbing (both backends, every figure, n >= 2, the network gone), on a quick plan
    made smaller still: its figures' values are the bench's business, not this test's, and 2 x 320
    calls per backend made it the suite's costliest docker item (35 s under load)."""
    import dataclasses

    from fakenet.bench import command
    from fakenet.bench.command import main  # here: ~0.5 s of imports every worker's collection would pay

    monkeypatch.setattr(command, "QUICK", dataclasses.replace(command.QUICK, stream_ops=20, hop_loads=20))
    out = tmp_path / "bench.json"

    assert main(["--quick", "--only", "streams", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["quick"] is True and doc["machine"]["nproc"] >= 1 and doc["image"].startswith("fakenet-node:")
    keys = {figure["key"]: figure for figure in doc["figures"]}
    assert set(keys) == {f"streams.{kind}.{backend}" for kind in ("creates", "loads", "hop3.p50", "hop3.p99")
                         for backend in ("docker", "local")}
    for figure in keys.values():
        assert figure["skipped"] == "" and figure["n"] >= 2
        assert 0 < figure["min"] <= figure["median"] <= figure["max"]
    assert keys["streams.hop3.p50.docker"]["median"] <= keys["streams.hop3.p99.docker"]["median"]
    assert "3-hop load latency p50 (docker)" in capsys.readouterr().out
    assert leftovers(doc["run"]) == []
