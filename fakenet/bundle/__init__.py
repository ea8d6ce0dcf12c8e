"""When something fails: one bundle of evidence, one replay line, a report people look at.

    verdict.py   whose fault: the system under test's, the scenario's, the infrastructure's or the harness's
    redact.py    secrets out of configs, and out of every other text
    evidence.py  snapshots after each step; logs, configs, tips, holders, availability at a failure
    record.py    Bundle (what a bundle holds) and the Recorder a run is handed
    manifest.py  manifest.json: seed, kind, image by content hash, topology, fault schedule, versions
    replay.py    the command that runs a failure again
    charts.py    timeline with fault bands, predicted vs observed graphs, availability heatmap
    page.py      the self-contained index.html
    writer.py    the directory and its .tar.gz (the layout is in its docstring)
    build.py     a Bundle from a scenario run, a failed test, or a running network (`fake dump`)
"""

from fakenet.bundle.build import from_network, from_scenario, from_test
from fakenet.bundle.record import Bundle, Recorder
from fakenet.bundle.verdict import HARNESS, INFRASTRUCTURE, SCENARIO, SYSTEM, Verdict, decide
from fakenet.bundle.writer import write

__all__ = ["HARNESS", "INFRASTRUCTURE", "SCENARIO", "SYSTEM", "Bundle", "Recorder", "Verdict", "decide", "from_network", "from_scenario",
           "from_test", "write"]
