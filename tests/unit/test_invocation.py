"""Hints name the command as the user ran it: `./fake` in the checkout, `fake` where it is installed."""

import os
import sys

import pytest

from fakenet import cli, invocation
from fakenet.bundle import replay


@pytest.fixture
def console_script(tmp_path, monkeypatch):
    """A `fake` console script as pip writes one, run the way a shell runs it (sys.argv[0] its path)."""
    script = tmp_path / "bin" / "fake"
    script.parent.mkdir()
    script.write_text("#!/usr/bin/env python3\nfrom fakenet.__main__ import main\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script)])
    return script


def test_the_checkout_script_is_dot_slash_fake(monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(invocation.CHECKOUT / "fakenet" / "__main__.py"), "up"])  # python -m fakenet
    assert invocation.command() == "./fake"
    assert invocation.command("fakenet") == "./fake"
    assert invocation.command("demo") == "./fake -p demo"


def test_an_installed_console_script_on_path_is_fake(console_script, monkeypatch):
    monkeypatch.setenv("PATH", f"{console_script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert invocation.command() == "fake"
    assert invocation.command("demo") == "fake -p demo"


def test_a_console_script_off_path_is_named_by_the_path_it_was_run_as(console_script, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert invocation.command("demo") == f"{console_script} -p demo"


def test_another_fake_first_on_path_does_not_stand_for_the_one_that_ran(console_script, tmp_path, monkeypatch):
    other = tmp_path / "other" / "fake"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{other.parent}{os.pathsep}{console_script.parent}")
    assert invocation.command() == str(console_script)


def test_python_m_fakenet_of_an_installed_package_is_fake(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    monkeypatch.setattr(invocation, "CHECKOUT", site)  # no ./fake script beside the package
    monkeypatch.setattr(sys, "argv", [str(site / "fakenet" / "__main__.py")])
    assert invocation.command("demo") == "fake -p demo"


def test_cli_hints_and_replay_lines_use_the_installed_name(console_script, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(console_script.parent))
    monkeypatch.delenv("FAKENET_PROJECT", raising=False)
    assert cli.main(["-p", "demo", "cli", "-getinfo"]) == 1
    assert capsys.readouterr().err.strip().endswith("runs inside a node: fake -p demo exec node cli -getinfo")
    assert cli._not_running("demo").startswith("no network 'demo' is running (start one with fake -p demo up -d)")
    assert replay.pytest_command("tests/t.py::test_a", "docker").startswith("fake test -n 0 ")


def test_the_checkout_script_is_named_by_its_path_where_the_user_stands_elsewhere(monkeypatch, tmp_path):
    """`cd /tmp && ~/fakenet/fake -p demo status` hinted `./fake -p demo up -d`, which /tmp has not."""
    monkeypatch.setattr(sys, "argv", [str(invocation.CHECKOUT / "fakenet" / "__main__.py"), "status"])
    monkeypatch.chdir(tmp_path)
    assert invocation.command("demo") == f"{invocation.CHECKOUT / 'fake'} -p demo"
    monkeypatch.chdir(invocation.CHECKOUT.parent)
    assert invocation.command("demo") == f"{invocation.CHECKOUT.name}/fake -p demo"
    monkeypatch.chdir(invocation.CHECKOUT / "scenarios")
    assert invocation.command() == str(invocation.CHECKOUT / "fake")
    monkeypatch.chdir(invocation.CHECKOUT)
    assert invocation.command() == "./fake"


def test_a_replay_line_runs_from_the_checkout_wherever_the_user_stands(monkeypatch, tmp_path):
    """Its paths are the checkout's (scenarios/x.yaml), so its command is too."""
    monkeypatch.setattr(sys, "argv", [str(invocation.CHECKOUT / "fakenet" / "__main__.py"), "scenario"])
    monkeypatch.chdir(tmp_path)
    assert replay.pytest_command("tests/x.py::t", "local").startswith("./fake test ")


def test_the_default_project_is_named_where_fakenet_project_points_the_bare_command_elsewhere(monkeypatch):
    """FAKENET_PROJECT=demo, then `./fake -p fakenet status`: its hint `./fake up -d` would start demo."""
    monkeypatch.setattr(sys, "argv", [str(invocation.CHECKOUT / "fakenet" / "__main__.py"), "status"])
    monkeypatch.chdir(invocation.CHECKOUT)
    monkeypatch.setenv("FAKENET_PROJECT", "demo")
    assert invocation.command("fakenet") == "./fake -p fakenet" and invocation.command("demo") == "./fake -p demo"
    monkeypatch.delenv("FAKENET_PROJECT")
    assert invocation.command("fakenet") == "./fake"
