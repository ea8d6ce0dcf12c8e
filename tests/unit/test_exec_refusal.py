"""`fake exec` on a node that is not running: one line of fakenet's, before compose runs."""

import subprocess
from types import SimpleNamespace

import pytest

from fakenet import cli, exec_refusal


def engine(*states):
    """A client whose listing holds one container per (State, Status), whatever the filters."""
    found = [SimpleNamespace(attrs={"State": state, "Status": status}) for state, status in states]
    return SimpleNamespace(containers=SimpleNamespace(list=lambda **kw: found))


@pytest.mark.parametrize("state, status, why", [("exited", "Exited (137) 5 seconds ago", "exited with code 137"),
                                                ("exited", "Exited (0) 2 minutes ago", "exited with code 0"),
                                                ("created", "Created", "created, never started"),
                                                ("restarting", "Restarting (1) 1 second ago",
                                                 "restarting after exiting with code 1"),
                                                ("dead", "Dead", "dead")])
def test_a_node_not_running_says_how_it_ended_and_what_to_type(state, status, why):
    assert exec_refusal.refusal(engine((state, status)), "demo", "node3", "./fake -p demo", True) == (
        f"fake exec: node node3 is not running ({why}): `./fake -p demo up -d` starts it again, "
        "`./fake -p demo logs node3` shows why it stopped")


def test_a_paused_node_points_at_unpause():
    assert exec_refusal.refusal(engine(("paused", "Up 1 minute (Paused)")), "fakenet", "node2", "fake", True) == \
        "fake exec: node node2 is paused (`fake unpause node2` resumes it)"


def test_a_running_node_execs_and_an_unknown_one_is_composes():
    assert exec_refusal.refusal(engine(("running", "Up 3 seconds")), "demo", "node", "./fake", True) is None
    assert exec_refusal.refusal(engine(), "demo", "node9", "./fake", False) is None
    assert exec_refusal.refusal(engine(), "demo", "node3", "./fake", True) == \
        "fake exec: node node3 has no container (`./fake up -d` makes it)"


def test_the_filters_name_the_project_and_the_node():
    asked = []
    client = SimpleNamespace(containers=SimpleNamespace(list=lambda **kw: asked.append(kw) or []))
    exec_refusal.refusal(client, "demo", "node3", "./fake", False)
    assert asked == [{"all": True, "sparse": True,
                      "filters": {"label": ["com.docker.compose.project=demo", "com.docker.compose.service=node3"]}}]


def test_exec_on_a_stopped_node_is_one_line_exit_1_and_compose_never_runs(capsys, monkeypatch):
    monkeypatch.setattr(cli.compose, "run", lambda project, args: pytest.fail("compose ran for a stopped node"))
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node", "node2", "node3", "node4"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)
    monkeypatch.setattr(cli, "_engine", lambda: engine(("exited", "Exited (137) 1 second ago")))
    assert cli.passthrough("demo", ["exec", "-T", "node3", "cli", "-getinfo"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("fake exec: node node3 is not running (exited with code 137): `./fake -p demo up -d` "
                           "starts it again, `./fake -p demo logs node3` shows why it stopped")


def test_exec_on_a_running_node_runs_compose(monkeypatch):
    ran = []
    monkeypatch.setattr(cli.compose, "run", lambda project, args: ran.append(args) or subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(cli.compose, "recorded_services", lambda project: ["node"])
    monkeypatch.setattr(cli, "_never_up", lambda project: False)
    monkeypatch.setattr(cli, "_engine", lambda: engine(("running", "Up 1 minute (healthy)")))
    assert cli.passthrough("demo", ["exec", "-T", "node", "cli", "-getinfo"]) == 0 and ran == [["exec", "-T", "node", "cli", "-getinfo"]]
