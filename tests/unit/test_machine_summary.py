"""support/machine_summary.py: a distributed run ends with what the machine gave it."""

from types import SimpleNamespace

from support import machine_summary
from support.module_clock import patch_time


def test_only_the_controller_of_a_distributed_run_reports():
    assert machine_summary.distributed(SimpleNamespace(option=SimpleNamespace(numprocesses=4)))
    assert not machine_summary.distributed(SimpleNamespace(option=SimpleNamespace(numprocesses=0)))  # -n 0
    assert not machine_summary.distributed(SimpleNamespace(option=SimpleNamespace()))  # no xdist
    worker = SimpleNamespace(option=SimpleNamespace(numprocesses=4), workerinput={"workerid": "gw0"})
    assert not machine_summary.distributed(worker)


def test_the_summary_gives_the_run_s_busy_idle_and_stolen_cpu_and_the_reference_work(monkeypatch):
    stats = iter(["cpu  1000 0 500 9000 0 0 0 100 0 0\n", "cpu  31000 0 10500 15000 0 0 0 1300 0 0\n"])
    monkeypatch.setattr(machine_summary.machine, "proc_text", lambda path: next(stats) if path == "/proc/stat" else "")
    monkeypatch.setattr(machine_summary.machine, "_TICK", 100)
    monkeypatch.setattr(machine_summary.machine, "reference_cpu", lambda: 0.234)
    monkeypatch.setattr(machine_summary, "_started", {})
    assert machine_summary.summary() == ""  # no start seen: nothing to say
    clock = iter([100.0, 400.0])
    patch_time(monkeypatch, machine_summary, monotonic=lambda: next(clock))
    machine_summary.start()
    line = machine_summary.summary()
    assert "400 core-s busy, 60 idle, 12 stolen by the hypervisor in 300 s" in line
    assert "reference work now takes 0.234 s of CPU" in line
    assert machine_summary.header() == "machine: an unnamed CPU"  # no /proc/cpuinfo to read
