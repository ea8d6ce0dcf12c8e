"""Broken scenario files fail before anything starts, saying file, line, step and what to write."""

from pathlib import Path

import pytest

from fakenet.scenario import ScenarioError, load, parse

SHIPPED = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_load(path):
    scenario = load(path)
    assert scenario.name == path.stem and scenario.steps


BROKEN = [
    ("name: x\nstepz:\n  - crash: node\n", "x.yaml:2: unknown key(s) stepz (did you mean 'steps'?); expected some of "),
    ("name: x\nsteps:\n  - crash: node9\n", "x.yaml:3 (step crash): expected one of the nodes node, node2, node3, node4, not 'node9'"),
    ("name: x\nsteps:\n  - crsh: node\n", "x.yaml:3 (step crsh): unknown step 'crsh' (did you mean 'crash'?); steps are: "),
    ("name: x\nsteps:\n  - expect_graph: {within: soon}\n", "x.yaml:3 (step expect_graph): within: expected a duration like 10s, 500ms or 2m, not 'soon'"),
    ("name: x\nsteps:\n  - create_streams: {on: node, cnt: 3}\n", "x.yaml:3 (step create_streams): unknown argument(s) cnt; this step takes on, count, pin, as"),
    ("name: x\nsteps:\n  - partition: [[node, node2], [node2]]\n", "x.yaml:3 (step partition): expected each node in one group only"),
    ("name: x\nsteps:\n  - heal\n  - repeat: {times: 2}\n", "x.yaml:4 (step repeat): missing argument(s) steps"),
    ("name: x\nnodes: 1\nsteps: [heal]\n", "x.yaml:2: nodes: expected a whole number of nodes from 2 to 10,000, not 1"),
    ("name: x\nsteps: []\n", "x.yaml:2: expected `steps:` with a list of at least one step"),
    ("name: x\nsteps:\n  - crash: node\n    heal:\n", "x.yaml:3: expected one step per list item"),
    ("name: [\n", "x.yaml:2: not valid YAML"),
    ("steps: [heal]\n", "x.yaml:1: expected `name:` (a string) at the top"),
    ("name: x\ntopology: star\nsteps: [heal]\n", "x.yaml:2: topology: expected one of full, ring, line"),
    ("name: x\ntopology: {edges: [[node, node5]]}\nsteps: [heal]\n",
     "x.yaml:2: topology: edges: 'node5' is not a node of this scenario (nodes: node, node2, node3, node4)"),
    ("name: x\ntopology: {edges: [[node, node]]}\nsteps: [heal]\n", "x.yaml:2: topology: edges: [node, node] links a node to itself"),
    ("name: x\ntopology: {edges: [node, node2]}\nsteps: [heal]\n", "x.yaml:2: topology: edges: expected a [node, node] pair, not 'node'"),
    ("name: x\ntopology: {links: []}\nsteps: [heal]\n", "x.yaml:2: topology: unknown argument(s) links; topology takes edges"),
    ("name: x\nsteps:\n  - create_streams: {on: node, count: 1, as: lonely}\n  - expect_available: {streams: lonley}\n",
     "x.yaml:4 (step expect_available): no stream set named 'lonley' before this step (did you mean 'lonely'?)"),
    ("name: x\nsteps:\n  - create_model: {on: node, as: notes}\n  - register_interest: {on: all, model: ntoes}\n",
     "x.yaml:4 (step register_interest): no model named 'ntoes' before this step (did you mean 'notes'?)"),
    ("name: x\nsteps:\n  - create_model: {on: node, as: m}\n  - post_events: {on: node, model: m, as: docs}\n"
     "  - update_events: {on: node, documents: dcos}\n",
     "x.yaml:5 (step update_events): no documents named 'dcos' before this step (did you mean 'docs'?) (defined so far: "
     "docs; name one with the `as:` of post_events)"),
    ("name: x\nsteps:\n  - create_model: {on: node, as: m}\n  - post_invalid_events: {on: node}\n",
     "x.yaml:4 (step post_invalid_events): give either model (a schema-breaking new document) or documents"),
    ("name: x\nsteps:\n  - expect_cache: {on: node, lru: [early]}\n  - create_streams: {on: node, count: 1, as: early}\n",
     "x.yaml:3 (step expect_cache): no stream set named 'early' before this step (defined so far: none yet"),
]


# Keys YAML reads as numbers, nulls or booleans: a user's typo, said in one line (they raised TypeError).
BROKEN += [
    ("name: x\n1: y\nsteps: [heal]\n", "x.yaml:2: unknown key(s) 1; expected some of "),
    ("name: x\n1: y\nfoo: z\nsteps: [heal]\n", "x.yaml:2: unknown key(s) 1, foo; expected some of "),
    ("name: x\nsteps:\n  - {1: 2}\n", "x.yaml:3: expected a step's name before its colon, like `- crash: node3`, not 1"),
    ("name: x\nsteps:\n  - null: node\n", "x.yaml:3: expected a step's name before its colon"),
    ("name: x\nsteps:\n  - repeat: {times: 2, steps: [{true: 2}]}\n", "x.yaml:3: expected a step's name before"),
]

# A repeat that expands past any run: it was a list multiplied out (MemoryError, OverflowError) at load.
BROKEN += [
    ("name: x\nsteps:\n  - repeat: {times: 1000000000, steps: [heal]}\n",
     "x.yaml:3 (step repeat): expands to 1,000,000,000 steps; a scenario runs at most 100,000"),
    ("name: x\nsteps:\n  - repeat: {times: 99999999999999999999, steps: [heal]}\n", "x.yaml:3 (step repeat): expands to "),
    ("name: x\nsteps:\n  - repeat: {times: 1000, steps: [{repeat: {times: 1000, steps: [heal]}}]}\n",
     "x.yaml:3 (step repeat): expands to 1,000,000 steps"),
]


@pytest.mark.parametrize("text, message", BROKEN, ids=[m.split(":")[2][:24] for _, m in BROKEN])
def test_broken_files_say_where_and_what_was_expected(text, message):
    with pytest.raises(ScenarioError) as caught:
        parse(text, "x.yaml")
    assert str(caught.value).startswith(message), str(caught.value)


def test_for_each_and_repeat_expand_with_their_lines():
    scenario = parse("name: x\nsteps:\n  - for_each:\n      nodes: [node, node2]\n      steps:\n"
                     "        - restart: '{node}'\n  - repeat: {times: 2, steps: [heal]}\n")
    assert [(s.source, s.line) for s in scenario.steps] == [("restart: node", 6), ("restart: node2", 6),
                                                             ("heal", 7), ("heal", 7)]


def test_yaml_on_stays_a_key_not_a_boolean():
    scenario = parse("name: x\nsteps:\n  - create_streams: {on: node2, count: 2, pin: true}\n")
    assert scenario.steps[0].args == {"on": "node2", "count": 2, "pin": True}


def test_a_topology_given_as_edges_is_that_graph_over_every_node():
    scenario = parse("name: x\nnodes: 5\ntopology:\n  edges: [[node, node2], [node2, node3], [node3, node]]\n"
                     "steps: [heal]\n")
    graph = scenario.topology
    assert list(graph.nodes) == ["node", "node2", "node3", "node4", "node5"]  # node4 and node5 alone
    assert sorted(map(sorted, graph.edges)) == [["node", "node2"], ["node", "node3"], ["node2", "node3"]]


def test_backends_and_settings_come_from_the_registries_and_the_kinds_schema():
    """Every registered backend and every setting the kind's schema has, not a list typed again here."""
    scenario = parse("name: x\nbackends: [hosts]\nsettings: {automine: 1, cluster_repin: false}\nsteps: [heal]\n", "x.yaml")
    assert scenario.backends == ("hosts",) and scenario.settings == {"automine": 1.0, "cluster_repin": False}
    with pytest.raises(ScenarioError, match=r"x.yaml:2: backends: expected one of local, docker, sim, hosts"):
        parse("name: x\nbackends: [cloud]\nsteps: [heal]\n", "x.yaml")
    with pytest.raises(ScenarioError, match=r"settings: .*(for the litecoin kind)"):
        parse("name: x\nkinds: [fakenet, litecoin]\nsettings: {automine: 1}\nsteps: [heal]\n", "x.yaml")
    with pytest.raises(ScenarioError, match=r"automine: expected a duration"):
        parse("name: x\nsettings: {automine: often}\nsteps: [heal]\n", "x.yaml")


@pytest.mark.parametrize("step, said", [
    ("mine: {on: node, blocks: 100000000}", "at most 10,000, not 100000000: more blocks in one go outrun the chain's"),
    ("create_streams: {on: node, count: 1000000}", "at most 100,000, not 1000000"),
])
def test_a_step_asking_more_than_can_ever_be_done_is_the_scenarios_error_at_its_line(step, said):
    # mine 100,000,000 was refused by every node as time-too-new mid-run and read as the system's failure;
    # a million creates ran for half an hour while the step looked hung.
    with pytest.raises(ScenarioError, match=r"x.yaml:4 \(step ") as caught:
        parse(f"name: x\nnodes: 2\nsteps:\n  - {step}\n", "x.yaml")
    assert said in str(caught.value)
    parse("name: x\nnodes: 2\nsteps:\n  - mine: {on: node, blocks: 10000}\n  - create_streams: {on: node, count: 100000}\n",
          "x.yaml")  # the bounds themselves are fine


@pytest.mark.parametrize("typed, meant", [("scenarios/node_crash.yaml", "scenarios/node-crash.yaml"),
                                          ("scenarios/partiton-heal.yaml", "scenarios/partition-heal.yaml"),
                                          ("node-crash.yaml", "scenarios/node-crash.yaml")])
def test_a_scenario_path_that_names_no_file_is_said_with_the_nearest_file(monkeypatch, typed, meant):
    """`[Errno 2] No such file or directory: 'scenarios/node_crash.yaml'`: the path twice, the file meant never."""
    monkeypatch.chdir(SHIPPED[0].parents[1])
    with pytest.raises(ScenarioError) as refused:
        load(typed)
    assert str(refused.value) == f"{typed}: cannot read the scenario: no such file (did you mean {meant!r}?)"


def test_a_folder_given_as_a_scenario_is_said_with_the_glob_of_its_scenarios(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nsteps: [heal]\n")
    with pytest.raises(ScenarioError, match=r"cannot read the scenario: it is a folder \(of 1 scenarios: .*/\*\.yaml\)$"):
        load(tmp_path)
    with pytest.raises(ScenarioError, match=r"cannot read the scenario: no such file$"):
        load(tmp_path / "gone" / "x.yaml")
