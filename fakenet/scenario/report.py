"""A scenario run as an HTML page (a graph picture per step, the timeline) and as JUnit XML."""

from __future__ import annotations

import html
from pathlib import Path
from xml.etree import ElementTree

from fakenet.scenario.runner import Result


def junit(result: Result, path: Path) -> None:
    suite = ElementTree.Element("testsuite", name=f"{result.scenario.name}[{result.backend}]",
                                tests=str(len(result.scenario.steps)),
                                failures=str(sum(not r.ok for r in result.results)),
                                skipped=str(len(result.scenario.steps) - len(result.results)),
                                time=f"{result.seconds:.3f}")
    for index, step in enumerate(result.scenario.steps):
        case = ElementTree.SubElement(suite, "testcase", classname=result.scenario.name,
                                      name=f"{index + 1:02d} line {step.line}: {step.source}")
        outcome = result.results[index] if index < len(result.results) else None
        if outcome is None:
            ElementTree.SubElement(case, "skipped", message="an earlier step failed")
            continue
        case.set("time", f"{outcome.seconds:.3f}")
        if not outcome.ok:
            ElementTree.SubElement(case, "failure", message=outcome.error.splitlines()[0][:200]).text = outcome.error
    if result.setup_error:
        suite.set("errors", "1")
    ElementTree.ElementTree(suite).write(path, encoding="unicode", xml_declaration=True)


def page(result: Result, path: Path) -> None:
    rows = []
    for index, step in enumerate(result.scenario.steps):
        outcome = result.results[index] if index < len(result.results) else None
        status = "skipped" if outcome is None else ("passed" if outcome.ok else "failed")
        picture = f'<img src="{outcome.picture}" width="220">' if outcome and outcome.picture else ""
        error = f"<pre>{html.escape(outcome.error)}</pre>" if outcome and outcome.error else ""
        took = f"{outcome.seconds:.2f}s" if outcome else ""
        rows.append(f'<tr class="{status}"><td>{index + 1}</td><td>{step.line}</td><td><code>{html.escape(step.source)}'
                    f'</code>{error}</td><td>{status}</td><td>{took}</td><td>{picture}</td></tr>')
    events = "".join(f"<tr><td>{e.at:.2f}s</td><td>{e.kind}</td><td>{html.escape(e.what)}</td><td>{e.took:.2f}s</td></tr>"
                     for e in result.timeline)
    verdict = "passed" if result.ok else "failed"
    path.write_text(f"""<!doctype html><meta charset="utf-8"><title>{html.escape(result.scenario.name)}</title>
<style>body{{font-family:sans-serif}} td{{vertical-align:top;padding:4px}} .failed{{background:#fdd}}
.passed{{background:#efe}} .skipped{{color:#999}}</style>
<h1>{html.escape(result.scenario.name)} [{result.backend}]: {verdict} in {result.seconds:.1f}s</h1>
<p>{html.escape(result.scenario.description)}</p>
<p>{html.escape(result.setup_error)}</p>
<table><tr><th>#</th><th>line</th><th>step</th><th>result</th><th>time</th><th>observed graph after</th></tr>
{''.join(rows)}</table>
<h2>Timeline of faults and recoveries</h2>
<table><tr><th>at</th><th>what</th><th></th><th>took</th></tr>{events}</table>
""")


def write(result: Result, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page(result, folder / "index.html")
    junit(result, folder / "junit.xml")
