"""A Bundle on disk: one directory, and the same packed as `<dir>.tar.gz` beside it.

    index.html          the report (self-contained: every picture is embedded there, and only there, so
                        each PNG is stored once)
    manifest.json       seed, kind, backend, image by content hash, topology, fault schedule, versions
    failure.json        whose fault, the deciding error, the first failure and its data
    steps.json          every step with its result and predicted vs observed graph after it
    timeline.json       every event with its offset
    scenario.yaml       a copy of the scenario file that ran
    availability.json   stream × node, predicted vs observed (the failing streams)
    tips.json, holders.json
    logs/NODE.log       full logs;  configs/NODE.json: the node's config, secrets removed
    problems.txt        what could not be gathered, and why

Every text written goes through the evidence's redactor: no secret a config held gets out.
"""

from __future__ import annotations

import dataclasses
import json
import tarfile
from pathlib import Path

from fakenet.bundle import manifest, page
from fakenet.bundle.record import Bundle, jsonable

SCENARIO_COPY = "scenario.yaml"


def write(bundle: Bundle, folder: Path, extra: dict[str, str] | None = None, pack: bool = True) -> Path | None:
    """Write the bundle (plus `extra` text files, e.g. junit.xml); return the .tar.gz, if packed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scrub = bundle.evidence.redactor.text
    pictures = _pictures(bundle)
    texts = {**_documents(bundle), **(extra or {}), "index.html": page.render(bundle, pictures)}
    texts.update({f"logs/{name}.log": text for name, text in bundle.evidence.logs.items()})
    texts.update({f"configs/{name}.json": _json(config) for name, config in bundle.evidence.configs.items()})
    if bundle.evidence.problems:
        texts["problems.txt"] = "\n".join(bundle.evidence.problems) + "\n"
    for name, text in texts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scrub(text))
    if bundle.scenario_text:
        (folder / SCENARIO_COPY).write_text(bundle.scenario_text)
    return pack_folder(folder) if pack else None


def pack_folder(folder: Path) -> Path:
    archive = folder.with_name(folder.name + ".tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def _pictures(bundle: Bundle) -> dict[str, bytes]:
    # matplotlib only when a bundle is drawn: importing it costs ~0.5 CPU s, which every `fake
    # scenario run` and test worker paid up front for a failure that mostly never comes (issue 28).
    from fakenet.bundle import charts

    pictures: dict[str, bytes] = {}
    focus = bundle.evidence.focus
    failed = next((row for row in bundle.steps if row.status == "failed"), None)
    end = max([bundle.timeline[-1].at if bundle.timeline else 0.0] +
              [row.snapshot.at for row in bundle.steps if row.snapshot])
    failed_at = failed.snapshot.at if failed and failed.snapshot else None
    if bundle.timeline or failed_at is not None:
        pictures["timeline"] = charts.timeline(bundle.timeline, end, failed_at)
    for row in bundle.steps:
        if row.snapshot is not None and bundle.names:
            pictures[f"step-{row.number:02d}"] = charts.step_graph(
                bundle.names, bundle.topology, row.snapshot, focus, f"after step {row.number}: {row.source}")
    if not bundle.steps and bundle.evidence.final is not None:
        pictures["final"] = charts.step_graph(bundle.names, bundle.topology, bundle.evidence.final, focus, "now")
    if bundle.evidence.availability is not None:
        pictures["availability"] = charts.heatmap(bundle.evidence.availability)
    return pictures


def _documents(bundle: Bundle) -> dict[str, str]:
    evidence = bundle.evidence
    documents = {
        "manifest.json": manifest.document(bundle),
        "failure.json": {"verdict": {**dataclasses.asdict(bundle.verdict), "why": bundle.verdict.why},
                         "failure": bundle.failure, "replay": bundle.replay, **bundle.failure_data},
        "steps.json": [dataclasses.asdict(row) for row in bundle.steps],
        "timeline.json": [dataclasses.asdict(event) for event in bundle.timeline],
        "tips.json": evidence.tips, "holders.json": evidence.holdings,
    }
    if not bundle.predicted:  # a dump: observed only (record.Bundle.predicted says why)
        del documents["failure.json"]
        documents["tips.json"] = {name: {"observed": tip["observed"]} for name, tip in evidence.tips.items()}
        documents["holders.json"] = {stream: {k: v for k, v in h.items() if k != "predicted"}
                                     for stream, h in evidence.holdings.items()}
    if evidence.final is not None:
        documents["graph.json"] = dataclasses.asdict(evidence.final)
    if evidence.availability is not None:
        a = evidence.availability
        documents["availability.json"] = {"streams": a.streams, "nodes": a.nodes, "cells": [
            {"stream": s, "node": n, "predicted": a.predicted.get((s, n)), "observed": a.observed.get((s, n))}
            for s in a.streams for n in a.nodes]}
    return {name: _json(value) for name, value in documents.items()}


def _json(value) -> str:
    return json.dumps(jsonable(value), indent=1) + "\n"
