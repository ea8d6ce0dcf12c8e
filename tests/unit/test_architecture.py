"""The rooms stay apart: no import cycle in fakenet/, checks and faults never reach `Network`,
`Network` stays lifecycle plus fault verbs (capabilities are facets, not methods), the error tree
drawn in errors.py is the real one, and tests start nodes only the way users do."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

from fakenet.harness.network import Network

ROOT = Path(__file__).resolve().parents[2] / "fakenet"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class _Runtime(ast.NodeTransformer):
    """Drops `if TYPE_CHECKING:` blocks: what is left is imported when the code runs."""

    def visit_If(self, node: ast.If):
        return node.orelse or None if "TYPE_CHECKING" in ast.unparse(node.test) else self.generic_visit(node)


def _imported(tree: ast.AST, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """Every module an import statement anywhere in the file names (lazy ones too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join(package + ([node.module] if node.module else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            found |= submodules if len(submodules) == len(node.names) else submodules | {base}
    return found & modules


def import_graph(include: str = "", typing: bool = True) -> nx.DiGraph:
    """Modules under `include` -> the fakenet modules they import, with or without TYPE_CHECKING imports."""
    paths = {_module(p): p for p in ROOT.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in paths.items():
        if name.startswith(include):
            tree = ast.parse(path.read_text())
            tree = tree if typing else _Runtime().visit(tree)
            graph.add_edges_from((name, other) for other in _imported(tree, name, path.name == "__init__.py", set(paths))
                                 if other != name)
    return graph


def _outside_the_node(graph: nx.DiGraph) -> nx.DiGraph:
    """The node package (fakenet/node, the system under test) keeps its own house."""
    graph.remove_nodes_from([name for name in list(graph) if name.startswith("fakenet.node")])
    return graph


def test_no_runtime_import_cycle_outside_the_node():
    assert list(nx.simple_cycles(_outside_the_node(import_graph("fakenet", typing=False)))) == []


def test_no_import_cycle_outside_the_node_even_through_typing_imports():
    assert list(nx.simple_cycles(_outside_the_node(import_graph("fakenet")))) == []


def test_checks_and_faults_do_not_reach_the_network_module():
    graph = import_graph("fakenet.harness")
    for module in ("fakenet.harness.expect", "fakenet.harness.cluster", "fakenet.harness.faults",
                   "fakenet.harness.oracle", "fakenet.harness.fleet"):
        assert "fakenet.harness.network" not in nx.descendants(graph, module) | {module}, module


# A client, not the oracle: it signs what a scenario writes with the node's DAG-JOSE signer, as
# ceramicsdk would, and the node checks it like any client's (its docstring says so).
HARNESS_CLIENTS_OF_NODE_CODE = {"fakenet.harness.ceramic_writer"}


def test_the_node_and_the_harness_import_nothing_of_each_other():
    """fakenet/node runs alone in its image; the harness never computes what it expects with the
    code it checks (the node's tests and the sim's in-process kind may import it; the harness may not)."""
    graph = import_graph("fakenet")
    node_out = {(a, b) for a, b in graph.edges if a.startswith("fakenet.node") and not b.startswith("fakenet.node")}
    harness_in = {(a, b) for a, b in graph.edges if a.startswith("fakenet.harness") and b.startswith("fakenet.node")
                  and a not in HARNESS_CLIENTS_OF_NODE_CODE}
    assert (sorted(node_out), sorted(harness_in)) == ([], [])


def test_network_is_lifecycle_and_fault_verbs():
    public = [name for name in vars(Network) if not name.startswith("_")]
    assert len(public) <= 25, public


def _drawn_tree(doc: str) -> set[tuple[str, str]]:
    """(parent, child) edges of the tree drawn with ├── / └── (four columns a level) in a docstring."""
    edges, path = set(), []
    for line in doc.splitlines():
        for connector in ("├── ", "└── "):
            if connector in line and not line.startswith(" "):
                depth = line.index(connector) // 4 + 1
                path[depth:] = [line.split(connector, 1)[1].split()[0]]
                edges.add((path[depth - 1], path[depth]))
        if line and line.split()[0].endswith("Error") and not line.startswith(("│", "├", "└")):
            path[:] = [line.split()[0]]  # the root
    return edges


def test_the_error_tree_in_errors_py_is_the_class_tree():
    """Subclasses of FakenetError anywhere outside the node, found by reading the code, each drawn
    under its own parent."""
    import fakenet.errors

    bases: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if not _module(path).startswith("fakenet.node"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    bases[node.name] = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
    tree = {"FakenetError"}
    while grown := {name for name, parents in bases.items() if parents & tree} - tree:
        tree |= grown
    coded = {(parent, name) for name in tree - {"FakenetError"} for parent in bases[name] & tree}
    assert sorted(coded ^ _drawn_tree(fakenet.errors.__doc__)) == []


def test_tests_start_nodes_only_the_way_users_do():
    """The node's own tests run the launch path users get (a backend and a kind: tests/support/
    local_nodes.py): none starts the node by its command line or builds a NodeProcess itself, so a
    change to the kind's Launch, environment or credentials cannot pass them untested. A test that
    must run a raw argv process (the node's own argument parsing) belongs in this list, with why."""
    # test_start_imports: a node process's modules at its first RPC answer, read from inside it (the
    # kind's launch is a fork of a server that has imported everything, or a process it cannot look into).
    raw_argv_allowed: set[str] = {"tests/unit/test_start_imports.py"}
    offenders = set()
    for path in (ROOT.parent / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            launches = isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
                r"fakenet\.node\.daemon(?!:)", node.value)  # "…daemon:main" is an entry point's text
            imports = isinstance(node, ast.ImportFrom) and (node.module == "fakenet.harness.backends.processes"
                                                            or any(a.name == "NodeProcess" for a in node.names))
            if launches or imports:
                offenders.add(str(path.relative_to(ROOT.parent)))
    assert sorted(offenders - raw_argv_allowed) == []
