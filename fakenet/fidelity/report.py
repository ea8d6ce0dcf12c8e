"""Rows from observations, and FIDELITY.md from rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from fakenet.fidelity.cases import Case
from fakenet.fidelity.explained import explain

METHOD_NOT_FOUND = -32601


@dataclass
class Row:
    case: Case
    verdict: str  # "same" | "differs" | "missing"
    differences: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why, one per explained difference
    unexplained: list[str] = field(default_factory=list)
    answer: str = ""  # what Litecoin Core answered, where the value itself is compared


def judge(case: Case, ours: dict, theirs: dict) -> Row:
    row = _judge(case, ours, theirs)
    row.answer = _answer(case, theirs)
    return row


def _answer(case: Case, seen: dict) -> str:
    parts = [f"{name}={seen.get(name)!r}" for name in case.compare.fields
             if seen.get(name) is not None or name == "result"]
    if case.compare.shape_of:
        parts.append("structure")
    text = ", ".join(parts)
    return text if len(text) <= 160 else text[:157] + "…"


def _judge(case: Case, ours: dict, theirs: dict) -> Row:
    if ours.get("code") == METHOD_NOT_FOUND and theirs.get("code") != METHOD_NOT_FOUND:
        return Row(case, "missing", ["fakenet: Method not found"])
    crashes = [f"{side} could not run the case: {seen['crash']}"
               for side, seen in (("fakenet", ours), ("Litecoin Core", theirs)) if "crash" in seen]
    found = crashes or case.compare(ours, theirs)
    if not found:
        return Row(case, "same")
    reasons, unexplained = [], []
    for difference in found:
        reason = explain(case.name, difference)
        (reasons.append(reason) if reason else unexplained.append(difference))
    return Row(case, "differs", found, sorted(set(reasons)), unexplained)


def counts(rows: list[Row]) -> dict[str, int]:
    tally = {"same": 0, "differs": 0, "missing": 0, "unexplained": 0}
    for row in rows:
        tally[row.verdict] += 1
        tally["unexplained"] += bool(row.unexplained)
    return tally


def markdown(rows: list[Row], header: str) -> str:
    tally = counts(rows)
    lines = [header, "",
             f"**{tally['same']} same, {tally['differs']} differs ({tally['unexplained']} unexplained), "
             f"{tally['missing']} missing** of {len(rows)} rows.", ""]
    section = None
    for row in rows:
        if row.case.section != section:
            section = row.case.section
            lines += ["", f"## {section}", "", "| call | compared (Litecoin Core's answer) | verdict | why |",
                      "| --- | --- | --- | --- |"]
        lines.append(f"| {_cell(row.case.name)} | {_cell(row.answer)} | {_verdict(row)} | {_cell(_why(row))} |")
    return "\n".join(lines) + "\n"


def _verdict(row: Row) -> str:
    return "differs (UNEXPLAINED)" if row.unexplained else row.verdict


def _why(row: Row) -> str:
    if row.verdict == "same":
        return ""
    parts = [f"UNEXPLAINED: {d}" for d in row.unexplained] + row.reasons
    if row.verdict == "missing":
        parts = row.differences
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
