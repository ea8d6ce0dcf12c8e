"""Load a scenario file: YAML → metadata + a flat list of checked steps, each with its line.

    name: node-crash            # required
    description: …
    nodes: 4                    # node, node2, …
    topology: full              # full | ring | line | random-regular | ring-chords | tree,
                                # or {edges: [[node, node2], [node2, node3]]} (any graph of the names)
    seed: 7                     # faker content and random topologies replay with it
    backends: [local, docker]   # which backends it runs on
    kinds: [fakenet]            # which node kinds it runs on (each must have every step's capabilities)
    settings: {cache_limit: 500, sync_timeout: 1s, peer_timeout: 3s}
    steps:
      - crash: node3                       # an action
      - expect_graph: {within: 10s}        # an expectation
      - repeat: {times: 3, steps: […]}     # control: expanded when loading
      - for_each: {nodes: [node, node2], steps: [{restart: "{node}"}]}

Every step is checked when the file loads, so a broken file fails before any node starts, with
the file, line, step and what was expected instead — including a step that needs a capability
(chain, streams, cluster, identity) that one of the scenario's node kinds lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import yaml

from fakenet import kinds
from fakenet.harness import backends as harness_backends
from fakenet.harness.topology import DEGREE, KINDS, node_names
from fakenet.scenario import schema as s
from fakenet.scenario import stream_sets
from fakenet.scenario.errors import ScenarioError
from fakenet.suggest import did_you_mean
from fakenet.scenario import event_steps  # noqa: F401  (its steps join REGISTRY when it is imported)
from fakenet.scenario.steps import REGISTRY, StepType

TOPOLOGIES = KINDS
META = {"name", "description", "nodes", "topology", "seed", "backends", "kinds", "settings", "steps"}
VALUES = {"count": s.count, "duration": s.duration, "flag": s.flag}  # kinds.base.SETTING_TYPES


@dataclass(frozen=True)
class Step:
    type: StepType
    args: dict
    line: int
    source: str  # the step as written, for progress views and reports

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.source}"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    nodes: int
    topology: str | nx.Graph  # a kind's name, or the graph the file's `edges:` give
    seed: int
    backends: tuple[str, ...]
    settings: dict
    steps: tuple[Step, ...]
    kinds: tuple[str, ...] = ("fakenet",)
    description: str = ""
    names: list[str] = field(default_factory=list)


def load(path: str | Path, kind: str | None = None, nodes: int | None = None) -> Scenario:
    """Load and check a scenario file; with `kind`, check it for that node kind instead of its `kinds:`;
    with `nodes`, for that many nodes instead of its `nodes:` (`scenario run --nodes`: a step naming
    node4 of a 3-node run failed mid-run as a KeyError, blamed on the harness)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        from fakenet.scenario.file_hint import unreadable

        raise ScenarioError(unreadable(path, exc), file=str(path)) from exc
    except UnicodeDecodeError as exc:  # a binary file, or another encoding: was a traceback
        raise ScenarioError(f"not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r}); a scenario "
                            f"is a YAML file", file=str(path)) from exc
    return parse(text, str(path), kind, nodes)


def check_kind(scenario: Scenario, kind) -> None:
    """Every step's capabilities are the kind's, or a ScenarioError at the first step that needs more."""
    kind = kinds.get(kind)
    for step in scenario.steps:
        missing = kind.missing(step.type.needs)
        if missing:
            raise ScenarioError(f"node kind {kind.name!r} lacks the {', '.join(sorted(missing))} capability this "
                                f"step needs (it has: {', '.join(sorted(kind.capabilities)) or 'none'})",
                                file=scenario.path, line=step.line, step=step.type.name)


def parse(text: str, file: str = "<scenario>", kind: str | None = None, nodes: int | None = None) -> Scenario:
    root, data = _compose(text, file)
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping with name, nodes and steps at the top", file=file, line=1)
    unknown = sorted(str(key) for key in set(data) - META)  # str: YAML reads `1:` as a number
    if unknown:
        raise ScenarioError(f"unknown key(s) {', '.join(unknown)}{did_you_mean(unknown[0], META)}; "
                            f"expected some of {', '.join(sorted(META))}", file=file, line=_key_line(root, unknown[0]))
    meta = _metadata(data, root, file, nodes)
    steps_node = _value_node(root, "steps")
    if not isinstance(data.get("steps"), list) or not data["steps"]:
        raise ScenarioError("expected `steps:` with a list of at least one step", file=file,
                            line=steps_node.start_mark.line + 1 if steps_node else 1)
    steps = _steps(data["steps"], steps_node, meta["names"], file)
    if kind is not None:
        meta["kinds"] = (kinds.get(kind).name,)
    stream_sets.check(steps, file)
    event_steps.check_labels(steps, file)
    scenario = Scenario(steps=tuple(steps), path=file, **meta)
    for name in scenario.kinds:
        check_kind(scenario, name)
    return scenario


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: `on:` (as in `create_streams: {on: node}`) stays the string "on"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _compose(text: str, file: str):
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                            line=mark.line + 1 if mark else None) from exc
    finally:
        loader.dispose()
    return root, data


def _value_node(mapping_node, key: str):
    for key_node, value_node in getattr(mapping_node, "value", []) if isinstance(mapping_node, yaml.MappingNode) else []:
        if key_node.value == key:
            return value_node
    return None


def _key_line(mapping_node, key) -> int | None:
    """The line of the key itself: its value's (_line_of_key) is the next line when the value is a block."""
    for key_node, _ in getattr(mapping_node, "value", []) if isinstance(mapping_node, yaml.MappingNode) else []:
        if key_node.value == str(key):
            return key_node.start_mark.line + 1
    return None


def _line_of_key(mapping_node, key: str) -> int | None:
    node = _value_node(mapping_node, key)
    return node.start_mark.line + 1 if node is not None else None


# Steps after repeat expands: over an hour at the local backend's fastest (~20 a second, restart + expect_recovered).
MAX_STEPS = 100_000
MAX_NODES = 10_000  # the sim's largest benchmarked network; beyond it a typo would spin building names and edges


def node_count(value) -> int:
    """A scenario's (or `--nodes`') node count: 2 to MAX_NODES, said as one range whichever end is crossed."""
    try:
        count = s.count(value)
    except s.Invalid:
        count = None
    if count is None or not 2 <= count <= MAX_NODES:
        raise s.Invalid(f"expected a whole number of nodes from 2 to {MAX_NODES:,}, not {value!r}")
    return count


def _metadata(data: dict, root, file: str, nodes: int | None = None) -> dict:
    def check(key, validator, default):
        try:
            return validator(data[key]) if key in data else default
        except s.Invalid as exc:
            raise ScenarioError(f"{key}: {exc}", file=file, line=_line_of_key(root, key)) from exc

    if not isinstance(data.get("name"), str):
        raise ScenarioError("expected `name:` (a string) at the top", file=file, line=1)
    nodes = nodes or check("nodes", node_count, 4)
    topology = check("topology", lambda value: _topology(value, node_names(nodes)), "full")
    backends = check("backends", _subset(harness_backends.NAMES), list(harness_backends.DEFAULT))
    kind_names = check("kinds", _kinds, ["fakenet"])
    settings = check("settings", lambda value: checked_settings(value, kind_names), {})
    return {"name": data["name"], "description": str(data.get("description", "")), "nodes": nodes,
            "topology": topology, "seed": check("seed", s.count, 0), "backends": tuple(backends),
            "kinds": tuple(kind_names),
            "settings": settings, "names": node_names(nodes)}


def _topology(value, names: list[str]):
    """One of TOPOLOGIES, random-regular-D for another degree than 3, or {edges: [[a, b], …]}."""
    if isinstance(value, dict):
        return _edge_list(s.fields(value, {"edges": _pairs(names)}, step="topology")["edges"], names)
    return value if isinstance(value, str) and DEGREE.fullmatch(value) else _one_of(TOPOLOGIES)(value)


def _pairs(names: list[str]):
    def check(value) -> list[tuple[str, str]]:
        if not isinstance(value, list) or not value:
            raise s.Invalid(f"expected a list of [node, node] pairs, not {value!r}")
        pairs = []
        for item in value:
            if not (isinstance(item, list) and len(item) == 2):
                raise s.Invalid(f"expected a [node, node] pair, not {item!r}")
            for name in item:
                if name not in names:
                    raise s.Invalid(f"{name!r} is not a node of this scenario (nodes: {_name_range(names)})")
            if item[0] == item[1]:
                raise s.Invalid(f"[{item[0]}, {item[1]}] links a node to itself")
            pairs.append((item[0], item[1]))
        return pairs
    return check


def _name_range(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]} … {names[-1]}"


def _edge_list(pairs: list[tuple[str, str]], names: list[str]) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(names)  # a node no pair names is there, alone
    graph.add_edges_from(pairs)
    return graph


def _one_of(options):
    def check(value):
        if value not in options:
            raise s.Invalid(f"expected one of {', '.join(options)}, not {value!r}")
        return value
    return check


def _subset(options):
    def check(value):
        items = value if isinstance(value, list) else [value]
        return [_one_of(options)(item) for item in items]
    return check


def _kinds(value) -> list[str]:
    return _subset(kinds.names())(value)


def checked_settings(value, kind_names: list) -> dict:
    """Checked against each of the scenario's kinds' settings schema: every kind must take them all."""
    checked: dict = {}
    for kind in map(kinds.get, kind_names):
        schema = {name: VALUES[type_] for name, type_ in kind.settings_schema.items()}
        try:
            checked = s.fields(value, {}, schema, step="settings")
        except s.Invalid as exc:
            raise s.Invalid(f"{exc} (for the {kind.name} kind)") from exc
    return checked


def _steps(items: list, node, names: list[str], file: str) -> list[Step]:
    steps: list[Step] = []
    for item, item_node in zip(items, node.value):
        line = item_node.start_mark.line + 1
        name, value = _split(item, file, line)
        if name in ("repeat", "for_each"):
            steps.extend(_expand(name, value, _value_node(item_node, name), names, file, line))
            continue
        steps.append(_step(name, value, names, file, line))
    return steps


def _split(item, file: str, line: int):
    if isinstance(item, str):
        return item, None
    if isinstance(item, dict) and len(item) == 1:
        name, value = next(iter(item.items()))
        if not isinstance(name, str):  # YAML reads `1:`, `null:`, `true:` as other types than a name
            raise ScenarioError(f"expected a step's name before its colon, like `- crash: node3`, not {name!r}",
                                file=file, line=line)
        return name, value
    raise ScenarioError(f"expected one step per list item, like `- crash: node3` or `- heal`, not {item!r}",
                        file=file, line=line)


def _step(name: str, value, names: list[str], file: str, line: int) -> Step:
    step_type = REGISTRY.get(name)
    if step_type is None:
        raise ScenarioError(f"unknown step {name!r}{did_you_mean(name, [*REGISTRY, 'repeat', 'for_each'])}; steps are: {', '.join(sorted([*REGISTRY, 'repeat', 'for_each']))}",
                            file=file, line=line, step=name)
    try:
        args = step_type.parse(value, names)
    except s.Invalid as exc:
        raise ScenarioError(str(exc), file=file, line=line, step=name) from exc
    source = name if value is None else f"{name}: {_inline(value)}"
    return Step(step_type, args, line, source)


def _expand(name: str, value, node, names: list[str], file: str, line: int) -> list[Step]:
    """repeat and for_each become plain steps at load time, so the runner sees one flat list."""
    try:
        if name == "repeat":
            control = s.fields(value, {"times": s.count, "steps": lambda v: v}, step=name)
            inner = _steps(control["steps"], _value_node(node, "steps"), names, file) if control["steps"] else []
            if len(inner) * control["times"] > MAX_STEPS:  # before multiplying: a typo'd `times` ran out of memory
                raise s.Invalid(f"expands to {len(inner) * control['times']:,} steps; a scenario runs at most "
                                f"{MAX_STEPS:,}")
            return inner * control["times"]
        control = s.fields(value, {"nodes": s.nodes(names), "steps": lambda v: v}, step=name)
    except s.Invalid as exc:
        raise ScenarioError(str(exc), file=file, line=line, step=name) from exc
    steps_node = _value_node(node, "steps")
    return [step for member in control["nodes"]
            for step in _steps(_substitute(control["steps"], member), steps_node, names, file)]


def _substitute(value, member: str):
    if isinstance(value, str):
        return value.replace("{node}", member)
    if isinstance(value, list):
        return [_substitute(v, member) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, member) for k, v in value.items()}
    return value


def _inline(value) -> str:
    """The step's arguments as one short line, the way a reader wrote them."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)
