"""The bundle's index.html: one self-contained page (images embedded), the first failure and whose
fault it is at the top, then the evidence: timeline, steps with their graphs, availability, tips,
holders, node logs. Wide content wraps or scrolls inside its own box: the page never scrolls sideways."""

from __future__ import annotations

import base64
import html
import json

from fakenet.bundle.record import Bundle, jsonable
from fakenet.bundle.verdict import HARNESS, INFRASTRUCTURE, SCENARIO, SYSTEM

CSS = {SYSTEM: "system", SCENARIO: "scenario", INFRASTRUCTURE: "infrastructure", HARNESS: "harness"}
LOG_LINES = 15  # per node inline; the full logs are files beside the page

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 1em;color:#212121;overflow-wrap:anywhere}
img{max-width:100%;height:auto;display:block}
pre,code{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}
pre{background:#f5f5f5;padding:.5em;max-height:30em;overflow:auto}
.box{overflow-x:auto}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{border-bottom:1px solid #e0e0e0;padding:4px;vertical-align:top;text-align:left;overflow-wrap:anywhere}
.verdict{padding:.6em 1em;border-radius:6px;margin:1em 0}
.system{background:#ffebee;border-left:6px solid #c62828}
.infrastructure{background:#fff3e0;border-left:6px solid #ef6c00}
.scenario{background:#e3f2fd;border-left:6px solid #1565c0}
.harness{background:#f3e5f5;border-left:6px solid #6a1b9a}
.ok{background:#e8f5e9;border-left:6px solid #2e7d32}
tr.failed{background:#ffebee} tr.skipped{color:#9e9e9e} .wrong{color:#c62828;font-weight:bold}
"""


def image(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def render(bundle: Bundle, pictures: dict[str, bytes]) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{e(bundle.title)}</title>"
             f"<style>{STYLE}</style></head><body>", _verdict(bundle)]
    if "timeline" in pictures:
        parts.append("<h2>Timeline</h2>" + image(pictures["timeline"], "timeline"))
    if bundle.steps:
        parts.append(_steps(bundle, pictures))
    elif "final" in pictures:
        parts.append("<h2>Graph now</h2>" + image(pictures["final"], "predicted and observed graph"))
    if "availability" in pictures:
        parts.append("<h2>Availability</h2>" + image(pictures["availability"], "availability heatmap"))
    parts += [_tips(bundle), _holders(bundle), _nodes(bundle), _manifest(bundle), "</body></html>"]
    return "\n".join(part for part in parts if part)


def _verdict(bundle: Bundle) -> str:
    """Why first, in words (whose fault and what that means), then the failure, then the data."""
    e, v = html.escape, bundle.verdict
    seed = f", seed {bundle.seed}" if bundle.predicted else ""  # a dump ran no seeded steps
    head = (f"<h1>{e(bundle.title)} <small>[{e(bundle.backend)}, {e(bundle.kind)}{seed}]</small></h1>"
            f"<div class='verdict {CSS.get(v.side, 'ok')}'>")
    if not bundle.predicted:
        head += ("<p>A snapshot of a running network the harness did not drive: what the nodes show now. "
                 "The model knows none of its history, so nothing here is a prediction.</p>")
    if v.failed:
        head += f"<p id=why><b>Why: {e(v.why)}</b> (verdict: {e(v.side)})</p>"
    head += (f"<p><b>{'failed' if v.failed else 'no failure'}{f' in {bundle.seconds:.1f}s' if bundle.seconds else ''}"
             f"</b>: {e(v.sentence())}</p>")
    if bundle.failure:
        head += f"<p>First failure, explained:</p><pre id=failure>{e(bundle.failure)}</pre>"
    if bundle.replay:
        head += f"<p>replay: <code id=replay>{e(bundle.replay)}</code></p>"
    if bundle.failure_data:
        head += f"<details><summary>{e(', '.join(bundle.failure_data))} (data)</summary><pre>" \
                f"{e(json.dumps(jsonable(bundle.failure_data), indent=1)[:20000])}</pre></details>"
    return head + "</div>"


def _steps(bundle: Bundle, pictures: dict[str, bytes]) -> str:
    e = html.escape
    rows = ["<h2>Steps</h2><table><colgroup><col style='width:3em'><col style='width:4em'><col>"
            "<col style='width:6em'><col style='width:5em'></colgroup>"
            "<tr><th>#</th><th>line</th><th>step</th><th>result</th><th>took</th></tr>"]
    for row in bundle.steps:
        error = f"<pre>{e(row.error)}</pre>" if row.error else ""
        rows.append(f"<tr class={row.status}><td>{row.number}</td><td>{row.line or ''}</td>"
                    f"<td><code>{e(row.source)}</code>{error}</td><td>{row.status}</td>"
                    f"<td>{f'{row.seconds:.2f}s' if row.status != 'skipped' else ''}</td></tr>")
        picture = pictures.get(f"step-{row.number:02d}")
        if picture:
            rows.append(f"<tr class={row.status}><td colspan=5>{image(picture, f'graph after step {row.number}')}</td></tr>")
    return "".join(rows) + "</table>"


def _tips(bundle: Bundle) -> str:
    tips = bundle.evidence.tips
    if not tips:
        return ""
    rows = []
    for name, tip in tips.items():
        seen = tip["observed"]
        predicted = " or ".join(f"{p['height']} {(p['hash'] or 'genesis')[:12]}" for p in tip["predicted"])
        wrong = seen is not None and not any(p["height"] == seen["height"] and p["hash"] in (None, seen["hash"])
                                             for p in tip["predicted"])
        text = f"{seen['height']} {seen['hash'][:12]}" if seen else "down"
        if not bundle.predicted:
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{text}</td></tr>")
            continue
        rows.append(f"<tr><td>{html.escape(name)}</td><td class='{'wrong' if wrong else ''}'>{text}</td>"
                    f"<td>{html.escape(predicted)}</td></tr>")
    predicted_head = "<th>predicted</th>" if bundle.predicted else ""
    return (f"<h2>Chain tips</h2><table><tr><th>node</th><th>observed</th>{predicted_head}</tr>" + "".join(rows)
            + "</table>")


def _holders(bundle: Bundle) -> str:
    holdings = bundle.evidence.holdings
    if not holdings:
        return ""
    focus = set(bundle.evidence.focus)
    streams = sorted(holdings, key=lambda s: (s not in focus, s))[:40]
    rows = []
    for stream in streams:
        h = holdings[stream]
        seen = sorted(set(h["observed_pinned"]) | set(h["observed_cached"]))
        wrong = "wrong" if bundle.predicted and seen != h["predicted"] else ""
        predicted = f"<td>{', '.join(h['predicted'])}</td>" if bundle.predicted else ""
        rows.append(f"<tr><td><code>{html.escape(stream)}</code>{' (failing)' if stream in focus else ''}</td>"
                    f"{predicted}<td class='{wrong}'>pinned: {', '.join(h['observed_pinned'])}"
                    f"<br>cached: {', '.join(h['observed_cached'])}</td></tr>")
    more = f"<p>{len(holdings) - len(streams)} more in holders.json</p>" if len(holdings) > len(streams) else ""
    return ("<h2>Holders</h2><table><colgroup><col style='width:40%'><col><col></colgroup>"
            f"<tr><th>stream</th>{'<th>predicted</th>' if bundle.predicted else ''}<th>observed</th></tr>"
            + "".join(rows) + "</table>" + more)


def _nodes(bundle: Bundle) -> str:
    e = html.escape
    parts = ["<h2>Nodes</h2>"]
    for name, text in bundle.evidence.logs.items():
        tail = "\n".join(text.splitlines()[-LOG_LINES:])
        parts.append(f"<details><summary>{e(name)}: <a href='logs/{e(name)}.log'>full log</a>, "
                     f"<a href='configs/{e(name)}.json'>config</a></summary><pre>{e(tail)}</pre></details>")
    if bundle.evidence.problems:
        parts.append("<p>Could not gather:</p><ul>" + "".join(f"<li>{e(p)}</li>" for p in bundle.evidence.problems)
                     + "</ul>")
    return "".join(parts) if len(parts) > 1 else ""


def _manifest(bundle: Bundle) -> str:
    from fakenet.bundle.manifest import document

    return ("<h2>Manifest</h2><details><summary>seed, image, topology, fault schedule, versions</summary><pre>"
            f"{html.escape(json.dumps(document(bundle), indent=1, default=str))}</pre></details>")
