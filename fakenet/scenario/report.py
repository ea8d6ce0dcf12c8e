"""A scenario run as a bundle (fakenet.bundle: the HTML report, evidence, manifest) plus JUnit XML
whose failure points at the report."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from fakenet.scenario.runner import Result


def junit(result: Result, path: Path, report: Path | None = None) -> None:
    """`report`: the bundle's index.html, named in the failure (CI links it) and as a property."""
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
            see = f"\n\nreport: {report}\n[[ATTACHMENT|{report}]]" if report else ""
            ElementTree.SubElement(case, "failure", message=outcome.error.splitlines()[0][:200]).text = outcome.error + see
    if result.setup_error:
        suite.set("errors", "1")
    if report:
        properties = ElementTree.Element("properties")
        ElementTree.SubElement(properties, "property", name="fakenet.report", value=str(report))
        suite.insert(0, properties)
    ElementTree.ElementTree(suite).write(path, encoding="unicode", xml_declaration=True)


def write(result: Result, folder: Path, recorder) -> Path | None:
    """The bundle in `folder` with junit.xml; packed as .tar.gz (returned) when the run failed."""
    from fakenet.bundle import from_scenario, write as write_bundle

    folder.mkdir(parents=True, exist_ok=True)
    junit(result, folder / "junit.xml", (folder / "index.html").resolve())
    return write_bundle(from_scenario(result, recorder), folder, {"junit.xml": (folder / "junit.xml").read_text()},
                        pack=not result.ok)
