"""An engine that cannot be reached (a bad DOCKER_HOST) is the infrastructure's failure, said in words:
a verdict and exit 1, never a traceback from the docker SDK."""

import docker

from fakenet import cli
from fakenet.bundle import INFRASTRUCTURE
from fakenet.bundle.build import scenario_verdict
from fakenet.scenario import parse, run

SCENARIO = "name: x\nnodes: 2\nsteps:\n  - heal\n"


def _unreachable(*args, **kwargs):
    raise docker.errors.DockerException("Error while fetching server API version: Connection refused")


def test_an_unreachable_engine_is_an_infrastructure_verdict_at_start_up(monkeypatch):
    monkeypatch.setattr(docker, "from_env", _unreachable)
    result = run(parse(SCENARIO, "x.yaml"), "docker")
    assert not result.ok and "cannot reach the Docker engine" in result.failure, result.failure
    verdict = scenario_verdict(result)
    assert verdict.side == INFRASTRUCTURE and verdict.where == "start-up", verdict


def test_fake_scenario_run_on_an_unreachable_engine_exits_1_with_a_verdict_and_no_traceback(
        monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(docker, "from_env", _unreachable)
    path = tmp_path / "x.yaml"
    path.write_text(SCENARIO)
    assert cli.main(["scenario", "run", str(path), "--backend", "docker"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "whose fault: the infrastructure failed (start-up)" in out and "cannot reach the Docker engine" in out
