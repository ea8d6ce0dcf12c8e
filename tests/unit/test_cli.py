"""The `fake` command's bad input: one line on stderr, exit 1, no traceback, and checked before any
work starts (no image build, no network, no run whose report is then lost)."""

import os
import signal
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

from fakenet import cli
from support.module_clock import patch_time

ONE_LINE = 1


def fails_in_one_line(capsys, argv: list[str]) -> str:
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == ONE_LINE, captured.err
    return captured.err


def test_an_unknown_verb_is_fakenets_error_with_the_nearest_verb(capsys):
    assert "unknown command 'upp' (did you mean 'up'?)" in fails_in_one_line(capsys, ["upp"])
    assert "did you mean 'status'?" in fails_in_one_line(capsys, ["-p", "other", "staus"])


def test_only_composes_own_verbs_pass_through():
    assert not cli._is_own_verb(["ps"], {"up"}) and not cli._is_own_verb(["-p", "x", "logs", "node"], {"up"})
    assert cli._is_own_verb(["upp"], {"up"})


def test_a_bad_node_count_in_the_environment_is_named(capsys, monkeypatch):
    monkeypatch.setenv("FAKENET_NODES", "abc")
    assert "FAKENET_NODES='abc': expected a whole number" in fails_in_one_line(capsys, ["up", "-d"])


def test_a_bad_up_timeout_is_refused_by_up_not_at_import(capsys, monkeypatch):
    done = subprocess.run([sys.executable, "-m", "fakenet", "--help"], capture_output=True, text=True,
                          env={"FAKENET_UP_TIMEOUT": "abc", "PATH": ""}, timeout=60)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    monkeypatch.setenv("FAKENET_UP_TIMEOUT", "abc")
    assert "FAKENET_UP_TIMEOUT='abc'" in fails_in_one_line(capsys, ["up", "-d"])


def test_export_into_a_missing_directory_fails_before_building(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("the image must not be built for a stack that cannot be written"))
    error = fails_in_one_line(capsys, ["export", "--stack", str(tmp_path / "missing" / "stack.yml")])
    assert f"no such directory {tmp_path / 'missing'}" in error


def test_an_unwritable_report_folder_fails_before_the_run(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress",
                        lambda *a, **k: pytest.fail("the run must not start when its report cannot be written"))
    scenario = cli.compose.REPO / "scenarios" / "node-crash.yaml"
    error = fails_in_one_line(capsys, ["scenario", "run", str(scenario), "--report", str(blocker / "report")])
    assert "--report" in error and "cannot create it" in error


def test_a_bad_path_anywhere_is_one_line(capsys, tmp_path):
    assert "cannot read the scenario" in fails_in_one_line(capsys, ["scenario", "check", str(tmp_path / "nope.yaml")])


def test_piped_output_is_never_wrapped(monkeypatch, capsys):
    from fakenet import terminal

    monkeypatch.setenv("COLUMNS", "80")  # as pytest-xdist exports it to its workers' children
    line = "replay: ./fake scenario run " + "/a-long-path" * 20 + " --backend docker --seed 3 --kind litecoin"
    terminal.console().print(line)
    assert capsys.readouterr().out == line + "\n"  # pytest captures: stdout is not a terminal


def test_a_project_name_compose_refuses_is_refused_before_any_file_is_written(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("no engine for a project name compose refuses"))
    for name in ("Foo", "", "../x"):  # '../x' would have put the override file outside the state directory
        assert f"project name {name!r}" in fails_in_one_line(capsys, ["-p", name, "status"])
    assert "project name 'Foo'" in fails_in_one_line(capsys, ["-p", "Foo", "ps"])  # passed through to compose
    monkeypatch.setenv("FAKENET_PROJECT", "A B")
    assert "project name 'A B'" in fails_in_one_line(capsys, ["up", "-d"])


def test_up_refuses_more_nodes_than_its_subnet_holds_at_once(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    assert "at most 253 nodes" in fails_in_one_line(capsys, ["up", "-d", "--nodes", "99999999999999999999"])
    monkeypatch.setenv("FAKENET_NODES", "254")
    assert "FAKENET_NODES='254'" in fails_in_one_line(capsys, ["up", "-d"])


def test_compose_options_up_cannot_take_are_refused_before_the_image_is_built(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    assert 'invalid argument "x" for "-t, --timeout"' in fails_in_one_line(capsys, ["up", "-d", "--timeout", "x"])
    assert "unknown flag: --no-such-option" in fails_in_one_line(capsys, ["up", "--no-such-option"])


@pytest.mark.parametrize("args, named", [(["exec", "node1", "cli", "-getinfo"], "node1"),
                                         (["exec", "-u", "root", "-T", "node3", "sh"], "node3"),
                                         (["exec", "--env", "A=1", "node2"], "node2"),
                                         (["run", "--entrypoint", "sh", "node"], "node"),
                                         (["logs", "node1"], None), (["exec", "-T"], None)])
def test_the_service_a_verb_names_is_found_past_its_options(args, named):
    assert cli._named_service(args) == named


def test_a_node_that_does_not_exist_is_named_with_the_ones_that_do(capsys, monkeypatch):
    monkeypatch.setattr(cli.compose, "run", lambda project, args: subprocess.CompletedProcess(args, 1))
    monkeypatch.setattr(cli.compose, "service_names", lambda project: ["node", "node10", "node2"])
    monkeypatch.setattr(cli, "_has_containers", lambda project: True)  # demo is up, without a node1
    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(containers=SimpleNamespace(list=lambda **filters: [])))
    assert cli.passthrough("demo", ["exec", "node1", "cli", "-getinfo"]) == 1
    error = capsys.readouterr().err
    assert "project 'demo' has no node named 'node1'" in error and "its nodes: node, node2, node10" in error
    monkeypatch.setattr(cli.compose, "service_names", lambda project: ["node", "node1"])
    monkeypatch.setattr(cli, "_has_containers", lambda project: True)  # the project is up: node1 failed in it
    assert cli.passthrough("demo", ["exec", "node1", "cli", "-getinfo"]) == 1
    assert capsys.readouterr().err == ""  # it exists: compose's own words say what went wrong


@pytest.mark.parametrize("args, named", [(["exec", "nodee", "cli", "-getinfo"], "nodee"),
                                         (["logs", "-f", "--tail", "5", "node2", "node5"], "node5"),
                                         (["stop", "-t", "1", "nod3"], "nod3"), (["restart", "node0"], "node0")])
def test_a_node_the_up_did_not_record_is_refused_in_one_line_before_compose_runs(capsys, monkeypatch, args, named):
    monkeypatch.setattr(cli.compose, "run", lambda project, args: pytest.fail("refused before compose runs"))
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node", "node2", "node3", "node4"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)
    assert cli.passthrough("demo", args) == 1
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and f"project 'demo' has no node named {named!r} (did you mean" in error
    assert error.strip().endswith("its nodes: node, node2, node3, node4")


def test_nodes_the_up_recorded_pass_through_to_compose(monkeypatch):
    ran = []
    monkeypatch.setattr(cli.compose, "run", lambda project, args: ran.append(args) or subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node", "node2"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)
    monkeypatch.setattr(cli, "_has_containers", lambda project: True)
    assert cli.passthrough("demo", ["logs", "--tail", "5", "node2"]) == 0 and cli.passthrough("demo", ["stop"]) == 0
    assert ran == [["logs", "--tail", "5", "node2"], ["stop"]]


def test_the_recorded_nodes_are_the_overrides_services(monkeypatch, tmp_path):
    override = tmp_path / "demo.override.yml"
    monkeypatch.setattr(cli.compose, "override_path", lambda project: override)
    assert cli.compose.recorded_services("demo") == []  # no up on record: compose is asked after, as before
    override.write_text('{"x-fakenet": "note", "services": {"node": {}, "node2": {}, "node5": {}}}')
    assert cli.compose.recorded_services("demo") == ["node", "node2", "node5"]
    override.write_text("just words")  # no mapping: no record, and no traceback on every exec
    assert cli.compose.recorded_services("demo") == []


@pytest.mark.parametrize("argv", [["exec"], ["exec", "node2"], ["exec", "-T", "node2"], ["exec", "-u", "root"]])
def test_exec_without_a_node_or_a_command_is_fakenets_line_naming_the_nodes(capsys, monkeypatch, argv):
    monkeypatch.setattr(cli.compose, "run", lambda project, args: pytest.fail("refused before compose runs"))
    monkeypatch.setattr(cli.compose, "service_names", lambda project: ["node2", "node10", "node"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)  # demo is up
    error = fails_in_one_line(capsys, ["-p", "demo", *argv])
    assert error.strip() == ("fake exec: name a node and a command to run in it, e.g. ./fake -p demo exec node "
                             "cli -getinfo (nodes: node, node2, node10)")


def test_soak_takes_one_job_its_default_and_refuses_none(capsys):
    assert cli.parser().parse_known_args(["soak", "--mutants", "--jobs", "1"])[0].jobs == 1
    assert "expected at least 1 job, not 0" in fails_in_one_line(capsys, ["soak", "--mutants", "--jobs", "0"])


@pytest.mark.parametrize("argv", [["soak", "--seconds", "-5"], ["soak", "--seconds", "nan"],
                                  ["fuzz", "--seconds", "-1"], ["fuzz", "--seconds", "inf"]])
def test_a_duration_must_be_positive_not_a_run_of_nothing_that_passes(capsys, argv):
    assert "expected a number of seconds > 0" in fails_in_one_line(capsys, argv)


def test_soak_refuses_a_node_range_upside_down_and_an_unusable_out_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("fakenet.soak.command.main", lambda args: pytest.fail("the soak must not start"))
    assert "--min-nodes 8 is more than --max-nodes 4" in fails_in_one_line(
        capsys, ["soak", "--min-nodes", "8", "--max-nodes", "4"])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert f"{blocker} is not a directory" in fails_in_one_line(capsys, ["soak", "--out", str(blocker / "out")])


def test_outputs_are_checked_before_the_network_is_asked(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("fakenet.harness.network.Network.attach", lambda *a, **k: pytest.fail("checked first"))
    monkeypatch.setattr("fakenet.fidelity.run", lambda out: pytest.fail("checked first"))
    monkeypatch.setattr(cli.compose, "kind_of", lambda project: "fakenet")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert "no such directory" in fails_in_one_line(capsys, ["graph", "--png", str(tmp_path / "no" / "g.png")])
    assert "is not a directory" in fails_in_one_line(capsys, ["dump", str(blocker / "dump")])
    assert "no such directory" in fails_in_one_line(capsys, ["fidelity", "--out", str(tmp_path / "no" / "F.md")])


def test_a_bad_backend_in_the_environment_is_refused_not_blamed_on_the_scenario(capsys, monkeypatch):
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress", lambda *a, **k: pytest.fail("refused first"))
    monkeypatch.setenv("FAKENET_BACKEND", "dockr")
    scenario = cli.compose.REPO / "scenarios" / "node-crash.yaml"
    error = fails_in_one_line(capsys, ["scenario", "run", str(scenario)])
    assert "FAKENET_BACKEND='dockr'" in error and "did you mean 'docker'?" in error


def _interrupted(what: str):
    """A stand-in for `what` that gets Ctrl-C while it waits: SIGINT to this process, then a wait that the
    handler's exception ends (Event.wait is interrupted by it), failing if it never comes."""
    def waits(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        threading.Event().wait(10)  # the handler raises in here, as in a step or a mesh wait
        pytest.fail(f"SIGINT did not interrupt {what}")

    return waits


def test_ctrl_c_says_at_once_that_it_cleans_up_and_exits_130_without_a_traceback(capsys, monkeypatch):
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress", _interrupted("the run"))
    before = signal.getsignal(signal.SIGINT)
    assert cli.main(["scenario", "run", str(cli.compose.REPO / "scenarios" / "node-crash.yaml")]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip() == "fake: interrupted; cleaning up what this command started before exiting"
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("argv", [["scenario", "run", "x.yaml", "--nodes", "100000000000"],
                                  ["scenario", "run", "x.yaml", "--nodes", "-4"], ["soak", "--max-nodes", "0"]])
def test_a_harness_node_count_is_bounded_as_a_scenarios_is(capsys, argv):
    assert "expected a whole number of nodes from 2 to 10,000" in fails_in_one_line(capsys, argv)


@pytest.mark.parametrize("count", ["100000000000", "-4", "four"])
def test_a_scenario_files_node_count_is_bounded_not_spun_on(capsys, tmp_path, count):
    scenario = tmp_path / "huge.yaml"
    scenario.write_text(f"name: huge\nnodes: {count}\nsteps:\n  - crash: node\n")
    error = fails_in_one_line(capsys, ["scenario", "check", str(scenario)])
    assert f"huge.yaml:2: nodes: expected a whole number of nodes from 2 to 10,000" in error


def test_the_nodes_cli_typed_as_a_verb_points_at_exec(capsys):
    assert fails_in_one_line(capsys, ["cli", "-getinfo"]).strip() == "fake: cli runs inside a node: ./fake exec node cli -getinfo"


@pytest.mark.parametrize("argv, hint", [(["-p", "demo", "cli", "-getinfo"], "./fake -p demo exec node cli -getinfo"),
                                        (["bitcoin-cli", "getblockcount"], "./fake exec node cli getblockcount")])
def test_the_hint_for_the_nodes_cli_keeps_the_project_and_names_the_cli_every_node_has(capsys, monkeypatch, argv, hint):
    monkeypatch.delenv("FAKENET_PROJECT", raising=False)
    assert fails_in_one_line(capsys, argv).strip().endswith(f"runs inside a node: {hint}")


def test_bench_bad_arguments_and_output_paths_are_one_line_before_measuring(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("fakenet.bench.command.main", lambda args: pytest.fail("refused before measuring"))
    assert "fake bench: unrecognized arguments: --bogus" in fails_in_one_line(capsys, ["bench", "--bogus"])
    assert "argument --only: invalid choice: 'nope'" in fails_in_one_line(capsys, ["bench", "--only", "nope"])
    assert "no such directory" in fails_in_one_line(capsys, ["bench", "--json", str(tmp_path / "no" / "b.json")])
    assert "is a directory" in fails_in_one_line(capsys, ["bench", "--markdown", str(tmp_path)])


def test_soaks_piped_summary_is_not_wrapped(capsys, monkeypatch):
    from fakenet.soak import command

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(command, "soak", lambda *a, **k: pytest.fail("no runs: --runs 0 with a deadline passed"))
    patch_time(monkeypatch, command, monotonic=iter([0.0, 10.0, 10.0]).__next__)
    assert cli.main(["soak", "--runs", "0", "--seconds", "1", "--out", "soak-failures"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("the model agreed\n"), out


def test_export_bounds_its_task_slots_before_building(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the image is built"))
    error = fails_in_one_line(capsys, ["export", "--stack", str(tmp_path / "s.yml"), "--nodes", "99999999"])
    assert "from 2 to 10,000, not 99999999" in error


def test_a_hosts_flag_on_another_backend_is_refused_in_grammar(capsys):
    scenario = str(cli.compose.REPO / "scenarios" / "node-crash.yaml")
    assert "--placement only goes with --backend hosts" in fails_in_one_line(
        capsys, ["scenario", "run", scenario, "--placement", "node=h1"])


@pytest.mark.parametrize("backend", [[], ["--backend", "local"], ["--backend", "docker"]])
def test_trace_on_another_backend_than_sim_is_refused_before_the_run(capsys, monkeypatch, tmp_path, backend):
    monkeypatch.delenv("FAKENET_BACKEND", raising=False)
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress", lambda *a, **k: pytest.fail("the run must not start"))
    scenario = str(cli.compose.REPO / "scenarios" / "node-crash.yaml")
    error = fails_in_one_line(capsys, ["scenario", "run", scenario, *backend, "--trace", str(tmp_path / "t")])
    assert "--trace only goes with --backend sim" in error and not (tmp_path / "t").exists()


def test_kind_names_are_read_only_by_the_commands_that_take_a_kind(capsys, monkeypatch):
    from fakenet import kinds

    monkeypatch.setattr(kinds, "names", lambda: pytest.fail("`up` read every distribution's entry points"))
    args, _ = cli.parser().parse_known_args(["up", "-d", "--nodes", "5"])
    assert args.nodes == 5
    monkeypatch.setattr(kinds, "names", lambda: ["fakenet", "litecoin", "theirs"])
    assert cli.parser().parse_known_args(["scenario", "check", "--kind", "theirs", "f.yaml"])[0].kind == "theirs"
    assert "choose from 'fakenet', 'litecoin', 'theirs'" in fails_in_one_line(capsys, ["export", "--kind", "nope",
                                                                                       "--stack", "s.yml"])


def test_an_unknown_option_without_a_verb_is_an_error_not_the_help(capsys):
    assert "unrecognized arguments: --bogus" in fails_in_one_line(capsys, ["--bogus"])
    assert "unrecognized arguments: -x" in fails_in_one_line(capsys, ["-p", "other", "-x"])
    assert cli.main([]) == 0 and "usage: fake" in capsys.readouterr().out  # no arguments at all: the help


@pytest.mark.parametrize("count", ["0", "-1", "2", "3"])
def test_up_refuses_fewer_nodes_than_its_compose_file_has_in_one_wording(capsys, monkeypatch, count):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    error = fails_in_one_line(capsys, ["up", "-d", "--nodes", count])
    assert f"`fake up` starts at least 4 nodes, not {count}" in error
    monkeypatch.setenv("FAKENET_NODES", count)
    assert f"FAKENET_NODES='{count}': `fake up` starts at least 4 nodes" in fails_in_one_line(capsys, ["up", "-d"])


def test_a_project_name_too_long_for_a_file_name_is_refused_before_any_work(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    long = "nu-" + "x" * 300
    assert "is 303 characters long; at most 200" in fails_in_one_line(capsys, ["-p", long, "up", "-d"])
    assert "is 303 characters long" in fails_in_one_line(capsys, ["-p", long, "logs"])  # passed through to compose
    assert cli._project_name("x" * 200) == "x" * 200


@pytest.mark.parametrize("args, code", [(["logs", "node"], 0), (["logs"], 0), (["top"], 0),
                                        (["exec", "node", "cli", "-getinfo"], 1)])
def test_reading_a_project_that_is_not_up_says_so_and_fails(capsys, monkeypatch, args, code):
    from types import SimpleNamespace

    monkeypatch.setattr(cli.compose, "run", lambda project, args: subprocess.CompletedProcess(args, code))
    monkeypatch.setattr(cli.compose, "service_names", lambda project: ["node", "node2"])
    engine = SimpleNamespace(containers=SimpleNamespace(list=lambda **filters: []))
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.passthrough("demo", args) == 1
    assert capsys.readouterr().err.strip() == "fake: no network 'demo' is running (start one with ./fake -p demo up -d)"


def test_reading_a_running_project_is_composes_answer_alone(capsys, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr(cli.compose, "run", lambda project, args: subprocess.CompletedProcess(args, 0))
    container = SimpleNamespace(labels={"com.docker.compose.service": "node"}, name="demo-node-1")
    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(containers=SimpleNamespace(list=lambda **f: [container])))
    assert cli.passthrough("demo", ["logs", "node"]) == 0 and capsys.readouterr().err == ""


def test_ctrl_c_in_up_says_the_nodes_stay_and_how_to_remove_them(capsys, monkeypatch):
    monkeypatch.setattr(cli, "cmd_up", _interrupted("up"))
    assert cli.main(["-p", "demo", "up", "-d"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "cleaning up" not in err  # up cleans nothing up: it said it did
    assert err.strip() == "fake: interrupted; the nodes up started so far stay (./fake -p demo down -v removes them)"


def test_ctrl_c_in_an_attached_up_says_compose_stops_the_nodes_not_that_they_stay(capsys, monkeypatch):
    monkeypatch.setattr(cli, "cmd_up", _interrupted("up"))
    assert cli.main(["-p", "demo", "up"]) == 130
    assert capsys.readouterr().err.strip() == ("fake: interrupted; compose stops the nodes, which keep their state "
                                               "(./fake -p demo up -d starts them again, ./fake -p demo down -v removes them)")


def test_the_list_of_verbs_gives_each_its_first_paragraph_and_the_project_option_says_what_it_is():
    out = " ".join(cli.parser().format_help().split())  # as wrapped at any width
    assert "other arguments go to pytest." in out and "collection order" not in out  # test's second paragraph
    assert "the network to act on (default FAKENET_PROJECT or fakenet)" in out


def test_scenario_check_reports_every_broken_file_not_just_the_first(capsys, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\nstepz: [heal]\n")
    good = cli.compose.REPO / "scenarios" / "node-crash.yaml"
    assert cli.main(["scenario", "check", str(broken), str(tmp_path / "nope.yaml"), str(good)]) == 1
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2 and "broken.yaml:2: unknown key(s) stepz" in errors[0], captured.err
    assert "nope.yaml: cannot read the scenario" in errors[1] and "Traceback" not in captured.err
    assert f"{good}: ok (17 steps)" in captured.out


def test_up_of_another_kind_than_the_project_runs_is_refused_before_anything_is_built(capsys, monkeypatch):
    class Reads:  # the project's containers are litecoin nodes; the other questions (asked beside) find nothing
        def has_containers(self, labels):
            return labels == ["com.docker.compose.project=demo", "io.fakenet.kind=litecoin"]

        def network(self, name):
            return None

        def networks(self):
            return []

        def info(self):
            return {}

    monkeypatch.setattr(cli.engine_reads, "answering", lambda client: Reads())
    monkeypatch.setattr(cli.kinds.get("fakenet"), "present_image", lambda reads: None)  # so it would be built
    monkeypatch.setattr(cli.kinds.get("fakenet"), "image", lambda *a: pytest.fail("refused first"))
    error = fails_in_one_line(capsys, ["-p", "demo", "up", "-d"])
    assert "project 'demo' runs litecoin nodes, not fakenet" in error
    assert "`./fake -p demo up -d --kind litecoin` for those, or `./fake -p demo down -v` first" in error


def test_dump_refuses_a_folder_with_files_in_it_before_the_network_is_asked(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("fakenet.harness.network.Network.attach", lambda *a, **k: pytest.fail("checked first"))
    (tmp_path / "notes.txt").write_text("the user's own file, not evidence")
    assert f"dump {tmp_path}: holds files already" in fails_in_one_line(capsys, ["dump", str(tmp_path)])
    monkeypatch.chdir(tmp_path)
    assert f"dump {tmp_path}: holds files already" in fails_in_one_line(capsys, ["dump", "."])  # was a traceback


def test_a_report_folder_holding_files_already_is_refused_before_the_run(capsys, tmp_path, monkeypatch):
    """As dump's: a failed run packs the whole folder into DIR.tar.gz, an older bundle there with it."""
    (tmp_path / "index.html").write_text("an earlier run's report")
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress",
                        lambda *a, **k: pytest.fail("refused before the run"))
    scenario = cli.compose.REPO / "scenarios" / "node-crash.yaml"
    error = fails_in_one_line(capsys, ["scenario", "run", str(scenario), "--report", str(tmp_path)])
    assert f"--report {tmp_path}: holds files already" in error


def test_a_report_folder_given_as_dot_is_made_absolute_so_a_failed_run_can_pack_it(tmp_path, monkeypatch):
    seen = {}

    def run(scenario, backend, **options):
        seen.update(options)
        return type("Result", (), {"ok": True})()

    monkeypatch.setattr("fakenet.scenario.console.run_with_progress", run)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["scenario", "run", str(cli.compose.REPO / "scenarios" / "node-crash.yaml"), "--report", "."]) == 0
    assert seen["report_dir"] == tmp_path and seen["report_dir"].name  # DIR.tar.gz needs a name


@pytest.mark.parametrize("argv", [["-p", "demo", "graph"], ["-p", "demo", "dump", "new-folder"]])
def test_an_engine_that_does_not_answer_is_one_line_not_a_traceback(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.chdir(tmp_path)
    assert "cannot reach the Docker engine" in fails_in_one_line(capsys, argv)


def test_a_scenario_run_on_an_engine_that_does_not_answer_ends_in_the_infrastructures_verdict(capsys, tmp_path,
                                                                                              monkeypatch):
    # A run has begun, so its ending is a verdict (stdout, with the replay line), not a usage error.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.chdir(cli.compose.REPO)
    assert cli.main(["scenario", "run", "scenarios/node-crash.yaml", "--backend", "docker"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "the infrastructure failed (start-up)" in out and "cannot reach the Docker engine" in out, out


def test_a_project_not_running_is_said_with_the_ones_that_are(capsys, monkeypatch):
    from types import SimpleNamespace

    import docker

    def listing(all=False, filters=None, ignore_removed=False, **rest):
        """As the SDK lists: each container inspected, and one removed since the listing (another
        project's teardown) is NotFound unless ignore_removed."""
        assert filters == {"label": ["com.docker.compose.project", "io.fakenet.project"]}, filters
        if not ignore_removed:
            raise docker.errors.NotFound("No such container: 02de1775ffe7 (removed after the listing)")
        return [SimpleNamespace(labels={"com.docker.compose.project": name}) for name in ("demo", "demo", "other")]

    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(containers=SimpleNamespace(list=listing)))
    assert cli._not_running("fakenet") == ("no network 'fakenet' is running (start one with ./fake up -d); "
                                           "running: demo, other")
    monkeypatch.setattr("fakenet.netstatus.containers", lambda client, project: [])
    assert "no network 'dmeo' is running (start one with ./fake -p dmeo up -d); running: demo, other" in \
        fails_in_one_line(capsys, ["-p", "dmeo", "status"])


def test_down_v_removes_the_volumes_of_nodes_a_smaller_up_dropped(capsys, monkeypatch):
    from types import SimpleNamespace

    removed, asked = [], []
    monkeypatch.setattr(cli.compose, "run", lambda project, args: subprocess.CompletedProcess(args, 0))
    reads = SimpleNamespace(volumes=lambda labels: asked.append(labels) or ["demo_node5-data", "demo_node6-data"],
                            has_containers=lambda labels: True)  # demo is up
    monkeypatch.setattr(cli.engine_reads, "answering", lambda client: reads)
    volumes = SimpleNamespace(get=lambda name: SimpleNamespace(remove=lambda force: removed.append(name)))
    monkeypatch.setattr(cli, "_docker", lambda: SimpleNamespace(volumes=volumes))
    assert cli.main(["-p", "demo", "down"]) == 0 and asked == [] and removed == []  # without -v volumes stay
    assert cli.main(["-p", "demo", "down", "-v"]) == 0
    assert asked == [["com.docker.compose.project=demo"]] and removed == ["demo_node5-data", "demo_node6-data"]
    assert "Volume demo_node5-data Removed" in capsys.readouterr().err


def test_run_nodes_fewer_than_the_steps_name_is_refused_before_the_run(capsys, monkeypatch):
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress", lambda *a, **k: pytest.fail("refused first"))
    scenario = str(cli.compose.REPO / "scenarios" / "node-crash.yaml")  # its steps name node4
    error = fails_in_one_line(capsys, ["scenario", "run", scenario, "--nodes", "3", "--backend", "sim"])
    assert "--nodes 3: " in error and "expected one of the nodes node, node2, node3, not 'node4'" in error


def test_the_status_table_on_80_columns_keeps_every_published_url_whole():
    import io

    from rich.console import Console

    from fakenet.netstatus import NodeStatus

    urls = ("ipfs (5011) http://127.0.0.1:34258", "ceramic_one (5101) http://127.0.0.1:34257",
            "rpc (6433) http://127.0.0.1:34256")
    rows = [NodeStatus("node", "running/healthy", "12D3KooW" + "x" * 44, 0, 3, urls),
            NodeStatus("node2", "exited", error="down")]
    out = io.StringIO()
    cli._print_table("demo", rows, Console(file=out, width=80))
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines), out.getvalue()
    for port in ("34258", "34257", "34256"):
        assert f"http://127.0.0.1:{port}" in out.getvalue(), out.getvalue()
    assert "12D3Koo…" in out.getvalue() and "down" in out.getvalue()


@pytest.mark.parametrize("name", ["graph.txt", "graph.jpg"])
def test_graph_png_refuses_a_file_named_for_another_format_before_attaching(capsys, tmp_path, monkeypatch, name):
    monkeypatch.setattr("fakenet.harness.network.Network.attach", lambda *a, **k: pytest.fail("checked first"))
    error = fails_in_one_line(capsys, ["graph", "--png", str(tmp_path / name)])
    assert f"--png {tmp_path / name}: the picture is a PNG; name the file .png" in error


def test_graph_png_without_a_suffix_says_the_name_matplotlib_writes(capsys, tmp_path, monkeypatch):
    from types import SimpleNamespace

    drawn = []
    net = SimpleNamespace(names=["node"], oracle=SimpleNamespace(
        observed_graph=lambda: __import__("networkx").Graph(), model=SimpleNamespace(down=set()),
        draw=drawn.append), close=lambda: None)
    monkeypatch.setattr("fakenet.harness.network.Network.attach", lambda *a, **k: net)
    monkeypatch.setattr(cli.compose, "kind_of", lambda project: "fakenet")
    assert cli.main(["graph", "--png", str(tmp_path / "graph")]) == 0
    assert drawn == [tmp_path / "graph.png"] and f"wrote {tmp_path / 'graph.png'}" in capsys.readouterr().out


def test_down_v_says_which_dropped_volume_it_could_not_remove_and_goes_on(capsys, monkeypatch):
    from types import SimpleNamespace

    import docker.errors

    removed = []

    def remove(name):
        def go(force):
            if name == "demo_node5-data":  # a container made by hand still uses it
                raise docker.errors.APIError("conflict", explanation="volume is in use - [abc123]")
            removed.append(name)
        return go

    monkeypatch.setattr(cli.compose, "run", lambda project, args: subprocess.CompletedProcess(args, 0))
    reads = SimpleNamespace(volumes=lambda labels: ["demo_node5-data", "demo_node6-data"],
                            has_containers=lambda labels: True)  # demo is up
    monkeypatch.setattr(cli.engine_reads, "answering", lambda client: reads)
    volumes = SimpleNamespace(get=lambda name: SimpleNamespace(remove=remove(name)))
    monkeypatch.setattr(cli, "_docker", lambda: SimpleNamespace(volumes=volumes))
    assert cli.main(["-p", "demo", "down", "-v"]) == 0 and removed == ["demo_node6-data"]
    err = capsys.readouterr().err
    assert "fake: volume demo_node5-data not removed: volume is in use" in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["ps"], ["logs"], ["exec", "node", "cli", "-getinfo"], ["port", "node", "6433"]])
def test_reading_a_project_never_up_is_one_line_before_compose_runs_and_writes_nothing(capsys, monkeypatch, tmp_path,
                                                                                          args):
    """compose wrote `service "node" is not running` (read as a crashed node) before fakenet's line, and `ps`
    an empty table with exit 0."""
    from types import SimpleNamespace

    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(cli.compose, "run", lambda project, args: pytest.fail("compose ran for a project never up"))
    engine = SimpleNamespace(containers=SimpleNamespace(list=lambda **filters: []))
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.main(["-p", "never-up", *args]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "fake: no network 'never-up' is running (start one with ./fake -p never-up up -d)", err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", ["local", "sim"])
def test_a_kind_on_a_backend_it_cannot_run_on_is_refused_with_the_arguments(capsys, monkeypatch, backend):
    """`scenario run --kind litecoin --backend local` failed as the network started, after the run's console,
    report and work directory were made, in four lines; `scenario check` passed it."""
    from fakenet.scenario import console

    monkeypatch.setattr(console, "run_with_progress", lambda *a, **k: pytest.fail("a run started"))
    wanted = f"fake: node kind 'litecoin' cannot run on the {backend} backend; it runs on docker (--backend docker)\n"
    scenario = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "chain-fork.yaml")
    assert fails_in_one_line(capsys, ["scenario", "run", "--kind", "litecoin", "--backend", backend, scenario]) == wanted
    monkeypatch.setenv("FAKENET_BACKEND", backend)
    assert fails_in_one_line(capsys, ["scenario", "run", "--kind", "litecoin", scenario]) == wanted
    error = fails_in_one_line(capsys, ["scenario", "check", "--kind", "litecoin", "--backend", backend, scenario])
    assert error == f"fake: {scenario}: {wanted[len('fake: '):]}"
    assert cli.main(["scenario", "check", "--kind", "litecoin", "--backend", "docker", scenario]) == 0


def test_scenario_check_refuses_a_kind_that_runs_on_none_of_the_scenarios_backends(capsys, tmp_path):
    scenario = tmp_path / "local-only.yaml"
    scenario.write_text("name: local-only\nnodes: 2\nbackends: [local, sim]\nsteps:\n  - mine: {on: node, blocks: 1}\n")
    assert cli.main(["scenario", "check", str(scenario)]) == 0
    error = fails_in_one_line(capsys, ["scenario", "check", "--kind", "litecoin", str(scenario)])
    assert error.strip() == (f"fake: {scenario}: node kind 'litecoin' runs on none of the scenario's backends "
                             "(local, sim); it runs on docker")


def test_up_refuses_a_kind_that_cannot_run_on_docker_before_anything_is_built(capsys, monkeypatch):
    from fakenet.kinds.fakenet_kind import FakenetKind

    class LocalOnly(FakenetKind):
        name = "local-only"
        backends = ("local",)

    real_get = cli.kinds.get
    monkeypatch.setitem(cli.compose.FILES, "local-only", cli.compose.FILES["fakenet"])  # a compose file of its own
    monkeypatch.setattr(cli.kinds, "get", lambda kind=None: LocalOnly() if kind == "local-only" else real_get(kind))
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    monkeypatch.setattr(cli.engine_reads, "answering", lambda client: pytest.fail("refused before the engine is asked"))
    error = fails_in_one_line(capsys, ["-p", "demo", "up", "-d", "--kind", "local-only"])
    assert error == "fake: node kind 'local-only' cannot run on the docker backend; it runs on local, sim (--backend local)\n"


def test_a_kind_that_cannot_filter_its_links_does_not_run_on_the_local_backend():
    """The local backend refuses such a kind as it starts; runs_on said it ran there (a user's kind naming
    no backends), so nothing refused it before the start, and pytest did not skip its local scenarios."""
    from fakenet import kinds
    from fakenet.kinds.fakenet_kind import FakenetKind

    class NoLinkControl(FakenetKind):
        link_control = False

    assert NoLinkControl.backends is None and not NoLinkControl().runs_on("local") and NoLinkControl().runs_on("docker")
    assert not kinds.get("litecoin").runs_on("local") and kinds.get("litecoin").runs_on("docker")
    assert all(kinds.get("fakenet").runs_on(backend) for backend in cli.BACKENDS)


@pytest.mark.parametrize("argv, verb, refusal", [
    (["down", "-x"], "down", "unknown shorthand flag: 'x' in -x"),
    (["down", "-v", "--rmi", "all", "--bogus"], "down", "unknown flag: --bogus"),
    (["ps", "-x"], "ps", "unknown shorthand flag: 'x' in -x"),
    (["logs", "node", "--bogus"], "logs", "unknown flag: --bogus"),
    (["restart", "-t", "x"], "restart", 'invalid argument "x" for "-t, --timeout"'),
    (["exec", "-x", "node", "cli", "-getinfo"], "exec", "unknown shorthand flag: 'x' in -x")])
def test_a_compose_verbs_bad_option_is_fakenets_line_naming_the_verb_and_its_options(capsys, monkeypatch, argv,
                                                                                      verb, refusal):
    """`fake down -x` printed Compose's bare `unknown shorthand flag: 'x' in -x`, naming neither fake nor
    the verb nor where its options are."""
    monkeypatch.setattr(cli.compose, "run", lambda *a, **k: pytest.fail("refused before compose runs"))
    monkeypatch.setattr(cli, "_engine", lambda: pytest.fail("refused before the engine is asked"))
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    error = fails_in_one_line(capsys, ["-p", "demo", *argv]).strip()
    assert error.startswith(f"fake {verb}: {refusal}") and error.endswith(f"(its options: ./fake -p demo {verb} --help)")


@pytest.mark.parametrize("args", [["up", "-d"], ["up", "--detach"], ["down", "-v"], ["logs", "-f", "node"]])
def test_the_options_readme_gives_are_not_sent_to_compose_for_checking(monkeypatch, args):
    """`up -d` is what `./fake bench` times against bare containers: a Compose process to check its -d
    cost ~15 ms of every start-up (issue 28). A word outside those still is checked."""
    from fakenet import compose_options

    monkeypatch.setattr(compose_options.subprocess, "run", lambda *a, **k: pytest.fail(f"asked compose about {args}"))
    assert compose_options.refused("docker-compose", args) == ""
    with pytest.raises(pytest.fail.Exception):
        compose_options.refused("docker-compose", [*args, "--bogus"])


def test_options_of_the_command_exec_runs_are_the_commands_not_composes(monkeypatch):
    ran = []
    monkeypatch.setattr(cli.compose, "run", lambda project, args: ran.append(args) or subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)
    monkeypatch.setattr(cli, "_exec_refusal", lambda project, args, recorded: None)
    assert cli.passthrough("demo", ["exec", "-T", "node", "cli", "-x", "--help"]) == 0
    assert ran == [["exec", "-T", "node", "cli", "-x", "--help"]]


@pytest.mark.parametrize("verb, option", [("down", "--rmi"), ("up", "--force-recreate")])
def test_the_help_a_refusal_points_at_lists_composes_options_too(capsys, verb, option):
    """`fake down --help` listed only -v: the options a refusal sent the user to see were not there."""
    with pytest.raises(SystemExit) as exited:
        cli.main([verb, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0 and f"usage: fake {verb}" in out
    assert f"passed to `compose {verb}`" in out and option in out


@pytest.mark.parametrize("args", [["logs", "--help"], ["exec", "-h"], ["ps", "--help"], ["logs", "node", "-h"]])
def test_a_compose_verbs_help_needs_no_network(monkeypatch, tmp_path, args):
    """`./fake logs --help` before any `up` said no network was running instead of showing the help."""
    ran = []
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(cli.compose, "run", lambda project, args: ran.append(args) or subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(containers=SimpleNamespace(list=lambda **filters: [])))
    assert cli.main(["-p", "never-up", *args]) == 0 and ran == [args]


DOCKER_20_10_PORT_TAKEN = ("driver failed programming external connectivity on endpoint fakenet-node-1 (af675d7af849f"
                           "ce6cf65cb3a9a38906216a5fdfe7d44ba3bb0513191ae016098): Error starting userland proxy: "
                           "listen tcp4 127.0.0.1:7007: bind: address already in use")


def test_a_host_port_taken_names_the_setting_that_moves_it_and_what_stays(capsys, monkeypatch):
    """The default project publishes on the README's ports: 7007 is a Ceramic daemon's own."""
    from fakenet.errors import ContainerError

    def refused(*args):
        raise ContainerError("the engine did not start node (f5a84c4efba5): " + DOCKER_20_10_PORT_TAKEN, node="node",
                             output=DOCKER_20_10_PORT_TAKEN)

    monkeypatch.delenv("FAKENET_API_HOST_PORT", raising=False)
    monkeypatch.setattr(cli, "_create_and_start", refused)
    monkeypatch.setattr(cli.compose, "environment", lambda project, image: {**cli.compose.STANDARD_HOST_PORTS})
    with pytest.raises(cli.FakenetError) as said:
        cli._create_and_start_said(None, "fakenet", "img", "fakenet", None)
    assert str(said.value) == ("node cannot publish 127.0.0.1:7007: another program on this machine listens there (set "
                               "FAKENET_API_HOST_PORT to a free port, or use another project (-p NAME), whose ports "
                               "are picked free); the nodes started stay (`./fake down -v` removes them)")
    assert not isinstance(said.value, cli.compose.ContainerError)  # the user's machine, not the engine


def test_an_engine_refusal_that_is_not_a_taken_port_stays_the_engines(monkeypatch):
    from fakenet.errors import ContainerError

    def refused(*args):
        raise ContainerError("the engine did not start node (f5a8): no space left on device", node="node",
                             output="no space left on device")

    monkeypatch.setattr(cli, "_create_and_start", refused)
    with pytest.raises(ContainerError, match="no space left"):
        cli._create_and_start_said(None, "fakenet", "img", "fakenet", None)


@pytest.mark.parametrize("held", [{}, {"containers"}, {"network"}, {"volumes"}])
def test_down_of_a_project_with_nothing_on_the_engine_says_so_with_the_ones_that_run(capsys, monkeypatch, held):
    """`./fake -p demo up -d`, then `./fake down -v` (or a mistyped -p): compose removed nothing, said nothing
    and exited 0, read as the network removed while demo ran on."""
    ran = []
    monkeypatch.setattr(cli.compose, "run", lambda project, args: ran.append(args) or subprocess.CompletedProcess(args, 0))
    reads = SimpleNamespace(has_containers=lambda labels: "containers" in held,
                            network=lambda name: {"Name": name} if "network" in held and name == "typo_p2p" else None,
                            volumes=lambda labels: ["typo_node-data"] if "volumes" in held else [])
    monkeypatch.setattr(cli.engine_reads, "answering", lambda client: reads)
    monkeypatch.setattr(cli, "_remove_dropped_volumes", lambda project: None)
    running = SimpleNamespace(labels={"com.docker.compose.project": "demo"})
    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(containers=SimpleNamespace(list=lambda **f: [running])))
    assert cli.main(["-p", "typo", "down", "-v"]) == 0 and ran == [["down", "-v"]]  # compose still cleans up
    said = capsys.readouterr().err.strip()
    assert said == ("" if held else "fake: no network 'typo' to remove; running: demo")


@pytest.mark.parametrize("kind, args, refused", [
    ("fakenet", ["exec", "node", "bitcoin-cli", "-getinfo"], "./fake -p demo exec node cli -getinfo"),
    ("fakenet", ["exec", "-T", "node2", "litecoin-cli", "getblockcount"], "./fake -p demo exec -T node2 cli getblockcount"),
    ("litecoin", ["exec", "node", "bitcoin-cli", "-getinfo"], "./fake -p demo exec node cli -getinfo"),
    ("litecoin", ["exec", "node", "litecoin-cli", "-datadir=/data", "getblockcount"], None),
    ("fakenet", ["exec", "node", "cli", "-getinfo"], None)])
def test_exec_of_an_rpc_client_the_node_lacks_points_at_its_cli(capsys, monkeypatch, kind, args, refused):
    """README's `cli -getinfo  # bitcoin-cli -getinfo, plus …` typed as `exec node bitcoin-cli -getinfo`: the engine's
    `OCI runtime exec failed: … "bitcoin-cli": executable file not found in $PATH`, exit 126."""
    ran = []
    monkeypatch.setattr(cli.compose, "run", lambda project, args: ran.append(args) or subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(cli.compose, "kind_of", lambda project: kind)
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node", "node2"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)
    monkeypatch.setattr(cli, "_exec_refusal", lambda project, args, recorded: None)
    if refused is None:
        assert cli.main(["-p", "demo", *args]) == 0 and len(ran) == 1
        return
    word = next(arg for arg in args if arg.endswith("-cli"))
    error = fails_in_one_line(capsys, ["-p", "demo", *args]).strip()
    assert ran == [] and error == f"fake exec: nodes have no {word}; their RPC client is cli, with bitcoin-cli's conventions: {refused}"


@pytest.mark.parametrize("argv, again", [(["--nodes", "8", "up", "-d"], "./fake up -d --nodes 8"),
                                         (["-p", "demo", "--kind", "litecoin", "up", "-d"],
                                          "./fake -p demo up -d --kind litecoin"),
                                         (["-f", "node", "logs"], "./fake logs -f node")])
def test_a_commands_option_typed_before_it_is_said_with_the_line_that_puts_it_after(capsys, monkeypatch, argv, again):
    """`./fake --nodes 8 up -d` said `unknown command '8'`."""
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    error = fails_in_one_line(capsys, argv).strip()
    assert error == f"fake: {argv[argv.index('demo') + 1] if 'demo' in argv else argv[0]} is an option of a command, " \
                    f"not of fake itself: {again}"


@pytest.mark.parametrize("argv, said", [
    (["up", "-d", "-p", "demo"], "fake: -p goes before the command: ./fake -p demo up -d"),
    (["status", "-p", "demo"], "fake: -p goes before the command: ./fake -p demo status"),
    (["logs", "--project", "demo", "node"], "fake: --project goes before the command: ./fake -p demo logs node"),
    (["down", "-v", "--project-name=demo"], "fake: --project-name goes before the command: ./fake -p demo down -v")])
def test_the_project_option_after_the_command_is_said_with_the_line_that_puts_it_before(capsys, monkeypatch, argv, said):
    """`./fake up -d -p demo` said compose's `unknown shorthand flag: 'p' in -p`; `status -p demo`, `unrecognized
    arguments: -p demo`."""
    monkeypatch.setattr(cli, "_docker", lambda: pytest.fail("refused before the engine is asked"))
    monkeypatch.setattr(cli.compose, "run", lambda *a, **k: pytest.fail("refused before compose runs"))
    assert fails_in_one_line(capsys, argv).strip() == said


def test_the_words_of_the_command_exec_runs_keep_their_p(monkeypatch):
    monkeypatch.setattr(cli, "passthrough", lambda project, args: 0 if args == ["exec", "node", "cli", "-p", "x"] else 9)
    assert cli.main(["exec", "node", "cli", "-p", "x"]) == 0


def test_pytests_own_p_passes_through_fake_test(monkeypatch):
    ran = []
    monkeypatch.setattr(cli, "cmd_test", lambda args, extra: ran.append(extra) or 0)
    assert cli.main(["test", "-p", "no:randomly", "-q"]) == 0 and ran == [["-p", "no:randomly", "-q"]]


@pytest.mark.parametrize("verb", ["start", "stop", "restart", "pause", "unpause", "kill"])
def test_a_lifecycle_verb_on_a_project_never_up_is_one_line_before_compose_runs(capsys, monkeypatch, tmp_path, verb):
    """`./fake start`, read as "start the network", said compose's `service "node4" has no container to start`;
    stop, pause and kill did nothing and exited 0."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(cli.compose, "run", lambda project, args: pytest.fail("compose ran for a project never up"))
    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(containers=SimpleNamespace(list=lambda **filters: [])))
    assert fails_in_one_line(capsys, ["-p", "never-up", verb]).strip() == \
        "fake: no network 'never-up' is running (start one with ./fake -p never-up up -d)"


def test_create_gives_compose_the_node_image_not_a_placeholder_it_pulls(monkeypatch):
    """`fake create` gave compose FAKENET_IMAGE=fakenet-node:not-built, which it tried to pull from Docker Hub."""
    ran = []
    monkeypatch.setattr(cli.compose, "run", lambda project, args, image=None: ran.append((args, image)) or
                        subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(cli.compose, "kind_of", lambda project: "fakenet")
    monkeypatch.setattr(cli.kinds, "get", lambda name: SimpleNamespace(present_image=lambda reads: f"{name}-node:abc"))
    monkeypatch.setattr(cli.engine_reads, "answering", lambda client: "reads")
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node"])
    assert cli.passthrough("demo", ["create"]) == 0 and ran == [(["create"], "fakenet-node:abc")]


@pytest.mark.parametrize("args, instead", [(["run", "--rm", "node2", "ls", "/"], "./fake -p demo exec node2 ls /"),
                                           (["run"], "./fake -p demo exec node cli -getinfo")])
def test_run_is_refused_with_the_exec_that_runs_the_command_in_the_node(capsys, monkeypatch, args, instead):
    """A one-off node took the node's fixed address (`Address already in use`), after compose had tried to pull
    a placeholder image from Docker Hub: `run` never ran."""
    monkeypatch.setattr(cli.compose, "run", lambda *a, **k: pytest.fail("refused before compose runs"))
    error = fails_in_one_line(capsys, ["-p", "demo", *args]).strip()
    assert error == ("fake run: a one-off copy of a node would take the node's own address and data; run a command "
                     f"in the node instead: {instead}")


def test_up_without_kind_starts_the_kind_an_earlier_up_of_the_project_started(monkeypatch, tmp_path):
    """`./fake up -d --kind litecoin`, `./fake stop`, `./fake up -d`: refused as `up` of fakenet nodes."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    asked = []
    monkeypatch.setattr(cli.compose, "kind_of", lambda project: asked.append(project) or "litecoin")
    assert cli._project_kind("demo") == "fakenet" and asked == []  # never up here: fakenet, the engine not asked
    cli.compose.override_path("demo").parent.mkdir(parents=True)
    cli.compose.override_path("demo").write_text("{}")
    assert cli._project_kind("demo") == "litecoin" and asked == ["demo"]
    chosen = []

    def chosen_then_stop(name):
        chosen.append(name)
        raise cli.UsageError("stopped once the kind is chosen")

    monkeypatch.setattr(cli.kinds, "get", chosen_then_stop)
    assert cli.main(["-p", "demo", "up", "-d"]) == 1 and cli.main(["-p", "demo", "up", "-d", "--kind", "fakenet"]) == 1
    assert chosen == ["litecoin", "fakenet"]  # an explicit --kind is still the user's (then refused as another kind)


def test_status_shows_a_node_whose_container_was_removed(capsys, monkeypatch):
    """`fake rm -f node3`, then `status`: the table listed node, node2 and node4 as if the network
    were three nodes and fine; the node `up` made and whose container is gone is a row of its own."""
    from fakenet import netstatus

    monkeypatch.setattr(cli, "_engine", lambda: object())
    monkeypatch.setattr(netstatus, "containers", lambda client, project: ["c"])
    monkeypatch.setattr(cli.compose, "kind_in", lambda found: "fakenet")
    monkeypatch.setattr(netstatus, "probe_listed", lambda kind, found: [
        netstatus.NodeStatus(name, "running/healthy", "12D3KooW" + name, 0, 2) for name in ("node", "node2", "node4")])
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node", "node2", "node3", "node4"])
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["-p", "demo", "status"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("│ node")]
    assert [row.split("│")[1].strip() for row in rows] == ["node", "node2", "node3", "node4"], out
    assert "removed" in rows[2] and "up -d` makes it again" in out, out


# -- a new user's review (nineteenth session): what was a traceback or misread ----------------------

@pytest.mark.parametrize("png", ["", "DIR"])
def test_graph_png_that_names_a_directory_is_refused_before_anything_is_written(capsys, tmp_path, png):
    """`--png ''` was a ValueError from with_suffix; `--png /tmp` wrote /tmp.png beside the directory."""
    given = str(tmp_path) if png == "DIR" else png
    assert "is a directory; name a .png file" in fails_in_one_line(capsys, ["-p", "nosuchproj", "graph", "--png", given])
    assert not (tmp_path.parent / (tmp_path.name + ".png")).exists()


def test_a_binary_scenario_file_is_one_line_not_a_unicode_traceback(capsys, tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00steps")
    assert "binary.yaml: not UTF-8 text (byte 0" in fails_in_one_line(capsys, ["scenario", "check", str(path)])


def test_a_file_named_fake_keeps_the_programs_prefix(capsys, tmp_path, monkeypatch):
    """`fake scenario run fake` printed "fake:2: not valid YAML": the prefix dropped for the file's name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fake").write_text("steps: [\n")
    assert fails_in_one_line(capsys, ["scenario", "check", "fake"]).startswith("fake: fake:2: not valid YAML")


def test_a_reader_that_leaves_early_is_no_error(monkeypatch):
    """`fake up --help | head -1` printed "fake: [Errno 32] Broken pipe" and exited 1."""
    def leaves(*_args, **_kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_run_verb", leaves)
    duplicated = []
    monkeypatch.setattr(cli.os, "dup2", lambda fd, to: duplicated.append(to))
    assert cli.main(["status"]) == 141 and duplicated


def test_help_verb_is_the_help_of_fake_or_of_a_command(capsys):
    assert cli.main(["help"]) == 0 and capsys.readouterr().out.startswith("usage: fake ")
    with pytest.raises(SystemExit) as done:
        cli.main(["help", "down"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("usage: fake down")
    for argv, usage in ((["-p", "x", "help", "down"], "usage: fake down"),
                        (["help", "scenario", "run"], "usage: fake scenario run")):
        with pytest.raises(SystemExit) as done:
            cli.main(argv)
        assert done.value.code == 0 and capsys.readouterr().out.startswith(usage)
    assert cli.main(["help", "-h"]) == 0 and capsys.readouterr().out.startswith("usage: fake ")
    assert "fake help: no command '5' (see fake --help)" in fails_in_one_line(capsys, ["help", "5"])
    assert "no command 'dwon' (did you mean 'down'?)" in fails_in_one_line(capsys, ["help", "dwon"])
