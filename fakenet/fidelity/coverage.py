"""Every call Litecoin Core's `help` lists, and where fakenet stands on it: compared (same or
differs, from the rows above), in fakenet but not compared by a case, or missing — with why,
where the reason is known. Litecoin Core's own list, read from the running daemon, is the index:
a call it gains shows up here as soon as the Debian package has it."""

from __future__ import annotations

from fakenet.fidelity.explained import NOT_COMPARED_WHY

WALLET = "Wallet"  # -disablewallet: the daemon still lists none of these; fakenet has no wallet


def methods(help_text: str) -> list[tuple[str, str]]:
    """(group, method) from `help`'s "== Group ==" headings and one signature line per call."""
    found, group = [], ""
    for line in help_text.splitlines():
        line = line.strip()
        if line.startswith("==") and line.endswith("=="):
            group = line.strip("= ")
        elif line:
            found.append((group, line.split()[0]))
    return found


def rows(core_help: str, ours: set[str], compared: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(group, method, standing, why) for each of Litecoin Core's calls."""
    table = []
    for group, method in methods(core_help):
        if method in compared:
            standing = compared[method]
        else:
            standing = "in fakenet, not compared" if method in ours else "missing"
        why = NOT_COMPARED_WHY.get(method) or ("the rows above say why" if standing == "differs" else "")
        table.append((group, method, standing, why))
    return table


def compared_verdicts(report_rows) -> dict[str, str]:
    """method → "same" or "differs" over every row whose call names it (first word of the case)."""
    verdicts: dict[str, set[str]] = {}
    for row in report_rows:
        method = row.case.name.split()[0]
        verdicts.setdefault(method, set()).add(row.verdict)
    return {m: "missing" if "missing" in v else ("differs" if "differs" in v else "same") for m, v in verdicts.items()}


def markdown(table) -> str:
    tally: dict[str, int] = {}
    for _, _, standing, _ in table:
        tally[standing] = tally.get(standing, 0) + 1
    lines = ["", "## Every call Litecoin Core's `help` lists", "",
             "**" + ", ".join(f"{count} {standing}" for standing, count in sorted(tally.items())) + f"** of {len(table)}.",
             "", "| group | call | fakenet | why |", "| --- | --- | --- | --- |"]
    lines += [f"| {group} | {method} | {standing} | {why} |" for group, method, standing, why in table]
    return "\n".join(lines) + "\n"
