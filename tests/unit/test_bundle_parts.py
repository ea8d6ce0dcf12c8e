"""The small decisions a bundle rests on: whose fault, what is secret, which streams failed, the replay line."""

from types import SimpleNamespace

import pytest

from fakenet.bundle import HARNESS, INFRASTRUCTURE, SCENARIO, SYSTEM, decide
from fakenet.bundle.build import failure_data
from fakenet.bundle.chart_data import cell, fault_bands
from fakenet.naming import natural
from fakenet.bundle.evidence import failing_streams
from fakenet.bundle.redact import REMOVED, Redactor
from fakenet.bundle.replay import pytest_command, scenario_command
from fakenet.errors import ConfigError, ContainerError, ExpectationFailed, ModelRefused, RpcError, WaitTimeout
from fakenet.harness.chain_model import AmbiguousChain
from fakenet.harness.timeline import Event
from fakenet.harness.waits import wait_for
from fakenet.scenario import ScenarioError, parse

STREAM_A, STREAM_B = "kjzl6cwe1jw146aaaaaaaaaaaaaaaaaaaa", "kjzl6cwe1jw147bbbbbbbbbbbbbbbbbbbb"


def _raised_in_fakenet() -> TypeError:
    """A TypeError from inside fakenet's own code, as a bug in a probe raises it."""
    try:
        natural(None)
    except TypeError as exc:
        return exc
    raise AssertionError("expected a TypeError")


def _raised_in_the_test() -> KeyError:
    try:
        {}["no such key"]  # the user's own test code, not fakenet's
    except KeyError as exc:
        return exc
    raise AssertionError("expected a KeyError")


def _model_refusal() -> ModelRefused:
    return ModelRefused("the model does not predict available", asked={("s", "node"): True},
                        predicted={("s", "node"): False}, observed={("s", "node"): False})


@pytest.mark.parametrize("error, started, side", [
    (ExpectationFailed("graph differs"), True, SYSTEM),
    (AssertionError("a plain assert in a test"), True, SYSTEM),
    (_model_refusal(), True, SCENARIO),
    (AmbiguousChain("which branch"), True, SCENARIO),
    (ConfigError("no stream set named lonley"), True, SCENARIO),
    (ScenarioError("its topology lists 4 nodes; it cannot run with 5"), False, SCENARIO),
    (_raised_in_the_test(), True, SCENARIO),
    (ContainerError("engine gone"), True, INFRASTRUCTURE),
    (RpcError(-1, "cannot reach"), True, INFRASTRUCTURE),
    # the node's own -1 (RPC_MISC_ERROR), answered: `mine: {blocks: 100000000}` refused as time-too-new
    (RpcError(-1, "mined block was not accepted: time-too-new", answered=True), True, SYSTEM),
    (RpcError(-28, "loading block index", answered=True), False, INFRASTRUCTURE),  # start-up's, as before
    # sim: nothing but the node between the call and its answer (soak seed 36: a load over a lossy link
    # that outlasted the call's 30 s of network time was blamed on the infrastructure)
    (RpcError(-1, "sim://node did not answer in 30s of network time", in_process=True), True, SYSTEM),
    (ConnectionRefusedError("engine socket"), True, INFRASTRUCTURE),
    (WaitTimeout("node did not answer"), False, INFRASTRUCTURE),
    (ExpectationFailed("the first graph"), False, INFRASTRUCTURE),  # before any step ran: start-up's
    (_raised_in_fakenet(), True, HARNESS),
])
def test_whose_fault_follows_the_error_type_when_and_where_it_came(error, started, side):
    verdict = decide(error, started=started)
    assert verdict.side == side and verdict.error.startswith(type(error).__name__)
    assert f"the {side} failed" in verdict.sentence() and verdict.why


def _expectation_after_a_wait(timeout: float, probe=lambda: "apart") -> ExpectationFailed:
    """An expectation that waited for "together" to its deadline, as expect.graph wraps its wait."""
    try:
        wait_for(probe, lambda seen: seen == "together", timeout=timeout, expected="together")
    except WaitTimeout as timeout_error:
        try:
            raise ExpectationFailed(f"not recovered: {timeout_error}") from timeout_error
        except ExpectationFailed as exc:
            return exc
    raise AssertionError("expected the wait to time out")


def test_a_deadline_that_passed_at_the_first_look_is_the_scenarios_fault_not_the_nodes():
    """`expect_recovered: {within: 1ms}` after a heal: one look, no time for any node to reconnect."""
    error = _expectation_after_a_wait(0.0)
    verdict = decide(error, started=True)
    assert verdict.side == SCENARIO, verdict
    assert "no time" in verdict.why and "give the step a longer `within:`" in str(error)


def test_a_deadline_that_allowed_several_looks_still_blames_the_nodes():
    error = _expectation_after_a_wait(0.1)  # polled from 20 ms: several looks before 0.1 s
    assert error.__cause__.looks > 1 and decide(error, started=True).side == SYSTEM


def test_a_first_look_that_hung_on_a_node_is_not_a_short_deadline(monkeypatch):
    """node3 stopped (SIGSTOP) by someone: the one look waited on it past `within: 3s`. That was "the
    scenario failed" for a deadline no look could have met, when it is the nodes that did not answer."""
    from fakenet.harness import clock

    now = [0.0]
    monkeypatch.setattr(clock, "_monotonic", lambda: now[0])

    def hung_look():
        now[0] += 5.0  # the look alone takes longer than the deadline: a node did not answer in time
        return "apart"
    error = _expectation_after_a_wait(3.0, hung_look)
    assert error.__cause__.looks == 1 and decide(error, started=True).side == SYSTEM


def test_a_first_look_that_failed_to_reach_the_nodes_is_not_a_short_deadline():
    def unreachable():
        raise RpcError(-1, "cannot reach")
    assert decide(_expectation_after_a_wait(0.0, unreachable), started=True).side == SYSTEM


def test_failure_data_keeps_the_prediction_and_the_observation_apart():
    data = failure_data(_model_refusal())
    assert data["asked"] == {("s", "node"): True} and data["predicted"] == {("s", "node"): False}
    lying = ExpectationFailed("differs", expected={("s", "node"): True}, observed={("s", "node"): False})
    assert failure_data(lying)["predicted"] != failure_data(lying)["observed"]


def test_nothing_failed_is_no_verdict():
    assert not decide(None, started=True).failed


def test_secrets_are_removed_by_key_and_then_scrubbed_from_any_text():
    redactor = Redactor()
    config = redactor.mapping({"environment": ["FAKENET_RPCPASSWORD=hunter2hunter2", "FAKENET_NODE_NAME=node"],
                               "env": {"LITECOIN_RPCPASSWORD": "pw-123456", "FAKENET_CLUSTER_SECRET": "c0ffee" * 8},
                               "identity_file": {"Identity": {"PeerID": "12D3Koo", "PrivKey": "CAESQ" + "x" * 40}}})
    assert config["environment"] == [f"FAKENET_RPCPASSWORD={REMOVED}", "FAKENET_NODE_NAME=node"]
    assert set(config["env"].values()) == {REMOVED} and config["identity_file"]["Identity"]["PeerID"] == "12D3Koo"
    log = "started with -rpcpassword=hunter2hunter2 and key CAESQ" + "x" * 40
    assert "hunter2" not in redactor.text(log) and "CAESQ" not in redactor.text(log)


def test_short_values_are_not_scrubbed_from_everything():
    redactor = Redactor()
    redactor.mapping({"use_password": "1"})
    assert redactor.text("node1 has 1 peer") == "node1 has 1 peer"


def test_a_secret_that_is_a_word_the_bundle_needs_is_removed_from_configs_only():
    redactor = Redactor()
    config = redactor.mapping({"environment": ["FAKENET_RPCUSER=fakenet", "FAKENET_RPCPASSWORD=fakenet"]})
    assert config["environment"] == ["FAKENET_RPCUSER=fakenet", f"FAKENET_RPCPASSWORD={REMOVED}"]
    assert redactor.text('{"kind": "fakenet", "node": "node10"}') == '{"kind": "fakenet", "node": "node10"}'
    assert redactor.weak == {"fakenet"} and not redactor.secrets


def test_the_note_on_such_a_secret_says_which_and_what_to_set():
    from fakenet.bundle.evidence import weak_note

    note = weak_note(1)
    assert note.startswith("a secret is also an ordinary word") and '"fakenet"' in note
    assert "set FAKENET_RPCPASSWORD to your own" in note and weak_note(2).startswith("2 secrets are")


def test_ids_are_cut_to_the_shortest_prefix_that_tells_them_apart():
    from fakenet.harness.short_ids import shortest_unique

    short = shortest_unique([STREAM_A, STREAM_B, "k2t6wyabc"])
    assert short[STREAM_A] == "kjzl6cwe1jw146…" and short[STREAM_B] == "kjzl6cwe1jw147…"  # a fixed 12 names both alike
    assert short["k2t6wyabc"] == "k2t6wyab…" and len(set(short.values())) == 3
    assert shortest_unique(["node"]) == {"node": "node"}


def test_failing_streams_come_from_the_data_or_the_words():
    error = ExpectationFailed("x", expected={(STREAM_A, "node"): True}, observed={}, difference=[(STREAM_A, "node")])
    assert failing_streams([STREAM_A, STREAM_B], error) == [STREAM_A]
    assert failing_streams([STREAM_A, STREAM_B], ExpectationFailed(f"wrong holders: {STREAM_B[:14]}…")) == [STREAM_B]
    assert failing_streams([STREAM_A], None) == []


def test_fault_bands_pair_apply_with_undo_and_run_open_faults_to_the_end():
    events = [Event(1.0, "apply", "crash(node3)"), Event(2.0, "apply", "degrade(node, node2, 0.5, 0) via x"),
              Event(3.0, "undo", "crash(node3)"), Event(4.0, "undo", "degrade(node, node2, 0.5, 0)"),
              Event(5.0, "apply", "isolate(node4)")]
    assert fault_bands(events, 9.0) == [("crash(node3)", 1.0, 3.0), ("degrade(node, node2, 0.5, 0) via x", 2.0, 4.0),
                                        ("isolate(node4)", 5.0, 9.0)]


def test_heatmap_cells_tell_agreement_from_both_kinds_of_surprise():
    assert [cell(True, True), cell(False, False), cell(True, False), cell(False, True), cell(None, True),
            cell(True, None)] == [0, 1, 2, 3, 4, 4]


def test_the_replay_line_names_every_option_the_run_had(monkeypatch, tmp_path):
    scenario = parse("name: x\nnodes: 3\nseed: 5\nsteps:\n  - heal\n", "scenarios/x.yaml")
    result = SimpleNamespace(scenario=scenario, backend="local", seed=5, kind="fakenet", nodes=3)
    assert scenario_command(result).endswith("scenario run scenarios/x.yaml --backend local --seed 5 --kind fakenet")
    result.seed, result.nodes, result.kind = 9, 16, "litecoin"
    assert scenario_command(result).endswith("--backend local --seed 9 --kind litecoin --nodes 16")
    monkeypatch.setenv("FAKENET_PLACEMENT", "node=h1,node2=h2")
    result.backend = "hosts"
    assert scenario_command(result).endswith("--nodes 16 --placement node=h1,node2=h2")
    elsewhere = parse("name: x\nsteps:\n  - heal\n", str(tmp_path / "x.yaml"))
    assert f"run {tmp_path / 'x.yaml'} --backend" in scenario_command(SimpleNamespace(
        scenario=elsewhere, backend="local", seed=1, kind="fakenet", nodes=4))
    assert pytest_command("tests/t.py::test_a[x y]", "docker") == \
        "./fake test -n 0 --fakenet-backend docker 'tests/t.py::test_a[x y]'"
    assert pytest_command("t.py::test_b", "local", tmp_path).endswith(f" {tmp_path / 't.py'}::test_b")


def test_bundles_are_on_by_default_under_ci_only(monkeypatch, tmp_path):
    from fakenet.pytest_plugin import bundle_folder

    config = SimpleNamespace(getoption=lambda name: None, rootpath=tmp_path)
    monkeypatch.delenv("CI", raising=False)
    assert bundle_folder(config, "tests/a.py::test_x") is None
    monkeypatch.setenv("CI", "true")
    assert bundle_folder(config, "tests/a.py::test_x[local]") == tmp_path / "fakenet-bundles" / "tests_a.py_test_x_local"
    chosen = SimpleNamespace(getoption=lambda name: str(tmp_path / "mine"), rootpath=tmp_path)
    assert bundle_folder(chosen, "t.py::t").parent == tmp_path / "mine"


class _Transport:
    def __init__(self, reply: bytes | None):
        self.reply = reply

    def post(self, url, data, timeout):
        if self.reply is None:
            raise ConnectionRefusedError("nothing listens")
        return 200, self.reply

    def close(self):
        pass


def test_a_refusal_the_node_answered_is_the_systems_and_no_answer_the_infrastructures():
    """Both are code -1 (RPC_MISC_ERROR, the harness's unreachable): the verdict told them apart by neither."""
    from fakenet.harness.rpc import RpcClient

    refusing = RpcClient("http://n", "u", "p", node="node",
                         transport=_Transport(b'{"result": null, "error": {"code": -1, "message": "time-too-new"}}'))
    with pytest.raises(RpcError) as refused:
        refusing.call("generatetoaddress", 100000000, "rltc1q")
    with pytest.raises(RpcError) as unreached:
        RpcClient("http://n", "u", "p", node="node", transport=_Transport(None)).call("getblockcount")
    assert refused.value.code == unreached.value.code == -1
    assert decide(refused.value, started=True).side == SYSTEM
    assert decide(unreached.value, started=True).side == INFRASTRUCTURE


def test_a_graph_expectation_reports_the_graph_it_judged_not_a_later_one():
    """`within: 1ms` after a heal: the one look lacked node–node3; the message then observed again, found
    the network healed, and said "observed graph != expected graph: none"."""
    import networkx as nx

    from fakenet.harness import expect

    full = nx.Graph([("node", "node2"), ("node2", "node3"), ("node", "node3")])
    looks = iter([nx.Graph([("node", "node2"), ("node2", "node3")])])
    net = SimpleNamespace(model=SimpleNamespace(expected_graph=lambda: full, unsteady_links=lambda: set(), down=set()),
                          observed_graph=lambda: next(looks, full), kind=SimpleNamespace(capabilities=()),
                          logs=lambda tail: [])
    with pytest.raises(ExpectationFailed) as caught:
        expect.graph(net, 0.0)
    assert "observed graph != expected graph: missing edges node–node3" in str(caught.value), str(caught.value)
    assert caught.value.difference == "missing edges node–node3"


def test_a_start_up_that_timed_out_at_its_first_look_is_the_infrastructures():
    """A network given no time to start (`start_timeout=0.01`): whether its one look was answered (the
    nodes listening, not yet meshed) or refused (not listening yet) is the machine's timing, and the
    verdict of the same start-up went either way (scenario / infrastructure) from one run to the next.
    Before any step nothing was asked of the nodes: a start-up that timed out is the infrastructure's."""
    error = _expectation_after_a_wait(0.0).__cause__
    assert error.no_time
    assert decide(error, started=False).side == INFRASTRUCTURE
    assert decide(error, started=True).side == SCENARIO  # a step's `within: 1ms` stays the scenario's
