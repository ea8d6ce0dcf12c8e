"""What the machine gave the suite: a distributed run (`./fake test`) ends with how fast the machine
was and how much of its CPU the run had (issue 28: the suite's time swung 1.7x between machines of
this workplace for the same code; BENCHMARKS.md, nineteenth session). A suite time read without
these cannot say whether the suite or the machine moved.

The controller reads /proc/stat when the session starts and at its end, and times the bench's
reference work once the workers are done (fakenet/bench/machine.py: ~0.2 s of CPU, three rounds).
Workers, undistributed runs and runs of under SUITE_SIZED items print nothing."""

from __future__ import annotations

import time

from fakenet.bench import machine

SUITE_SIZED = 200  # items: fewer, and the run is someone's few files, not a suite time to read
_started: dict = {}


def distributed(config) -> bool:
    """The xdist controller of a run with workers (not a worker, not -n 0)."""
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


def header() -> str:
    model = machine.cpu_model(machine.proc_text("/proc/cpuinfo"))
    return f"machine: {model or 'an unnamed CPU'}"


def start() -> None:
    _started.update(cpu=machine.cpu_times(machine.proc_text("/proc/stat")), wall=time.monotonic())


def summary() -> str:
    if "cpu" not in _started:
        return ""
    wall = time.monotonic() - _started["wall"]
    cpu = machine.cpu_since(_started["cpu"], machine.cpu_times(machine.proc_text("/proc/stat")))
    spent = (f"{cpu['busy']:.0f} core-s busy, {cpu['idle']:.0f} idle, {cpu['steal']:.0f} stolen by the hypervisor "
             f"in {wall:.0f} s; " if cpu else "")
    return (f"the machine over this run: {spent}the bench's reference work now takes "
            f"{machine.reference_cpu():.3f} s of CPU (lower is faster; fakenet/bench/machine.py)")

