"""`fake bench` without an engine: statistics, figures, the table and JSON, guards, plans and /proc parsing."""

import io
import json
from types import SimpleNamespace

import pytest
from rich.console import Console

from fakenet.bench import command, footprint, machine, report, run, suite
from fakenet.bench.command import parse
from fakenet.bench.context import Context, sweep
from fakenet.bench.figure import spec
from fakenet.bench.guard import guarded, per_backend
from fakenet.bench.plan import FULL, QUICK, QUICK_SKIPS
from fakenet.bench.stats import percentile, rate, summarise
from fakenet.errors import WaitTimeout
from fakenet.labels import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL

# -- statistics -------------------------------------------------------------------------------------


def test_summary_is_median_min_max_and_count():
    summary = summarise([3.0, 1.0, 2.0, 10.0, 4.0])
    assert (summary.median, summary.low, summary.high, summary.runs) == (3.0, 1.0, 10.0, 5)


def test_summary_of_an_even_count_takes_the_middle_mean():
    assert summarise([1, 2, 3, 4]).median == 2.5


def test_summary_of_one_sample_is_that_sample():
    summary = summarise([7.5])
    assert (summary.median, summary.low, summary.high, summary.runs) == (7.5, 7.5, 7.5, 1)


def test_summary_needs_a_sample():
    with pytest.raises(ValueError):
        summarise([])


def test_percentiles_interpolate_between_ranks():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([4.0], 99) == 4.0
    assert percentile([9, 1], 50) == pytest.approx(5.0)


def test_rate_refuses_a_zero_span():
    assert rate(300, 1.5) == 200
    with pytest.raises(ValueError):
        rate(3, 0)


# -- figures ----------------------------------------------------------------------------------------


def test_goal_is_an_upper_bound_on_the_median():
    up = spec("startup.compose.4", "start-up", "up", "s", goal=3.0)
    assert up.with_samples([2.0, 2.5, 9.0]).status == "met"  # the median, not the max, is held to it
    assert up.with_samples([3.5, 3.1, 2.0]).status == "missed"
    assert up.status == ""
    assert spec("x", "g", "no goal", "s").with_samples([1]).status == ""


def test_a_rate_goal_is_a_floor_on_the_median_and_says_so():
    intake = spec("ceramic.recon.per_peer.docker", "ceramic", "per peer", "/s", goal=1000.0, at_least=True)
    assert intake.with_samples([900.0, 1100.0, 1200.0]).status == "met"
    assert intake.with_samples([400.0, 1500.0, 900.0]).status == "missed"
    assert report.goal_text(intake.with_samples([1200.0])) == "≥ 1000 /s met"
    assert report.figure_json(intake.with_samples([1.0]))["goal_at_least"] is True
    assert "goal_at_least" not in report.figure_json(spec("x", "g", "up", "s", goal=3.0).with_samples([1.0]))


def test_issue_26s_goal_and_keramiks_floor_stand_beside_the_intake_figure():
    from fakenet.bench import ceramic

    ctx = SimpleNamespace(plan=QUICK)
    docker, local = ceramic._specs(ctx, "docker")["per_peer"], ceramic._specs(ctx, "local")["per_peer"]
    assert (docker.goal, docker.at_least, local.goal) == (1000.0, True, None)
    assert "Keramik's floor 300/s" in docker.note and docker.extra == {"keramik_floor": 300.0}
    assert QUICK.ceramic_backlog >= 2000 and FULL.ceramic_backlog >= QUICK.ceramic_backlog


def test_a_figure_not_measured_keeps_its_reason_and_has_no_summary():
    figure = spec("image.cold.bootstrap", "image", "bootstrap", "s", goal=1.0).not_measured("--quick: full run only")
    assert figure.summary is None and figure.status == "" and figure.skipped == "--quick: full run only"


# -- the table and the JSON -------------------------------------------------------------------------

FIGURES = [
    spec("startup.compose.4", "start-up", "`fake up -d --nodes 4`", "s", goal=3.0).with_samples([4.2, 3.9, 4.6]),
    spec("startup.compose.4.ratio", "start-up", "up ÷ bare", "×", goal=1.5).with_samples([1.2, 1.4, 1.3]),
    spec("startup.docker.64", "start-up", "harness docker 64", "s").not_measured("--quick: full run only"),
    spec("footprint.rss.docker", "footprint", "idle RSS", "MB", goal=50.0).with_samples([53.5] * 4),
]


@pytest.mark.parametrize("value, text", [(1234.5, "1234"), (42.25, "42.2"), (4.216, "4.22"), (0.4, "0.400"),
                                          (0.0042, "0.0042"), (0, "0.0000")])
def test_numbers_keep_about_three_significant_digits(value, text):
    assert report.number(value) == text


def test_rows_show_median_min_max_count_goal_and_reason():
    measured, ratio, skipped, _ = (report.row(f) for f in FIGURES)
    assert measured == ("`fake up -d --nodes 4`", "4.20 s", "3.90 s", "4.60 s", "3", "≤ 3.00 s missed", "")
    assert ratio[1:4] == ("1.30×", "1.20×", "1.40×") and ratio[5] == "≤ 1.50× met"
    assert skipped[1] == "—" and skipped[-1] == "not measured: --quick: full run only"


def test_the_table_prints_every_figure_once_under_its_group():
    buffer = io.StringIO()
    Console(file=buffer, width=250).print(report.table(FIGURES))
    text = buffer.getvalue()
    assert text.count("start-up") == 1 and text.count("footprint") == 1
    for figure in FIGURES:
        assert figure.label in text
    assert "not measured: --quick: full run only" in text


def test_markdown_has_a_header_and_one_line_per_figure():
    lines = report.markdown(FIGURES).splitlines()
    assert lines[0].startswith("| group | figure | median |") and len(lines) == 2 + len(FIGURES)
    assert "≤ 1.50× met" in lines[3]


def test_json_document_shape():
    doc = json.loads(json.dumps(report.document(FIGURES, command="./fake bench --quick", quick=True)))
    assert doc["fakenet_bench"] == report.VERSION and doc["command"] == "./fake bench --quick"
    first, _, skipped, rss = doc["figures"]
    assert first == {"key": "startup.compose.4", "group": "start-up", "label": "`fake up -d --nodes 4`", "unit": "s",
                     "median": 4.2, "min": 3.9, "max": 4.6, "n": 3, "samples": [4.2, 3.9, 4.6], "goal": 3.0,
                     "status": "missed", "note": "", "skipped": ""}
    assert skipped["median"] is None and skipped["n"] == 0 and skipped["skipped"] == "--quick: full run only"
    assert rss["status"] == "missed" and rss["n"] == 4


def test_json_keeps_extra_values_of_a_figure(tmp_path):
    figure = spec("recovery.heal.docker.4", "recovery", "heal", "s").with_samples([1.0, 1.2])
    figure.extra["in_heal_call"] = [0.3, 0.4]
    path = tmp_path / "out" / "bench.json"
    report.write_json(path, report.document([figure]))
    assert json.loads(path.read_text())["figures"][0]["extra"] == {"in_heal_call": [0.3, 0.4]}


def test_groups_stay_together_in_order_of_first_appearance():
    figures = [spec(k, g, k, "s") for k, g in (("a", "start-up"), ("t", "teardown"), ("b", "start-up"), ("c", "x"))]
    assert [f.key for f in run.grouped(figures)] == ["a", "b", "t", "c"]


# -- guards -----------------------------------------------------------------------------------------


def test_a_failed_measurement_marks_its_figures_not_measured_with_the_reason():
    specs = [spec("a", "g", "a", "s"), spec("b", "g", "b", "s")]

    def produce():
        raise WaitTimeout("timed out after 60.0s\n  expected: 16 nodes meshed")

    said = []
    figures = guarded(specs, produce, said.append)
    assert [f.skipped for f in figures] == ["failed: WaitTimeout: timed out after 60.0s"] * 2
    assert said and "a, b" in said[0] and "expected: 16 nodes meshed" in said[0]  # the whole error, logs and all


def test_a_bug_in_a_measurement_is_not_swallowed():
    def produce():
        raise TypeError("a bug")

    with pytest.raises(TypeError):
        guarded([spec("a", "g", "a", "s")], produce)


def test_a_failing_group_leaves_a_row_and_the_others_run(monkeypatch):
    def broken(ctx):
        yield spec("fine", "one", "fine", "s").with_samples([1])
        raise WaitTimeout("engine too slow")

    def other(ctx):
        yield spec("other", "two", "other", "s").with_samples([2])

    monkeypatch.setattr(run, "GROUPS", {"one": broken, "two": other})
    monkeypatch.setattr(run, "sweep", lambda ctx: [])
    figures = run.run(SimpleNamespace(progress=lambda line: None), ["one", "two"])
    assert [f.key for f in figures] == ["fine", "one.failed", "other"]
    assert figures[1].skipped == "failed: WaitTimeout: engine too slow"


# -- plans ------------------------------------------------------------------------------------------


def test_the_quick_plan_measures_a_subset_of_the_full_one():
    assert QUICK.quick and not FULL.quick
    assert set(QUICK.startup_sizes) <= set(FULL.startup_sizes) and set(QUICK.suite_workers) <= set(FULL.suite_workers)
    assert set(QUICK.suite_backends) <= set(FULL.suite_backends)
    assert set(QUICK.recovery_backends) <= set(FULL.recovery_backends)
    assert QUICK.runs <= FULL.runs and QUICK.suite_runs <= FULL.suite_runs and not QUICK.bootstrap
    assert 2 in QUICK.suite_workers and "docker" in QUICK.suite_backends  # the suite's goal is always measured


def test_every_quick_skip_says_why():
    assert all(reason.startswith("--quick: ") for reason in QUICK_SKIPS.values())


def test_suite_skips_follow_the_plan():
    quick = SimpleNamespace(plan=QUICK)
    assert suite.skip_reason(quick, 2, "docker") == ""
    assert suite.skip_reason(quick, 1, "docker") == QUICK_SKIPS["suite-n1"]
    assert suite.skip_reason(quick, 2, "local") == QUICK_SKIPS["suite-local"]
    assert suite.skip_reason(SimpleNamespace(plan=FULL), 1, "local") == ""


def test_suite_outcome_is_pytests_summary():
    assert suite.outcome("....\n8 passed in 76.57s (0:01:16)\n") == "8 passed"
    assert suite.outcome("== 1 failed, 7 passed in 80.00s ==\n") == "1 failed, 7 passed"
    assert suite.outcome("ERROR: usage") == "no pytest summary"


def test_suite_note_gives_the_seconds_a_scenario():
    assert suite.items("1 failed, 7 passed, 2 errors") == 10 and suite.items("no pytest summary") == 0
    assert suite.per_item([(102.0, "19 passed"), (95.0, "19 passed")]) == "5.2 s a scenario"
    assert suite.per_item([(30.0, "no pytest summary")]) == ""


def test_options():
    options = parse(["--quick", "--json", "out.json", "--markdown", "t.md", "--only", "streams", "--only", "image"])
    assert options.quick and str(options.json) == "out.json" and options.only == ["streams", "image"]
    assert str(options.markdown) == "t.md"
    assert parse([]).only is None and not parse([]).quick
    with pytest.raises(SystemExit):
        parse(["--only", "nonsense"])


# -- /proc and the machine --------------------------------------------------------------------------


def fake_proc(tmp_path, pid, comm, utime, stime, rss_kb):
    directory = tmp_path / str(pid)
    directory.mkdir()
    fields = ["S", "1"] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 10
    (directory / "stat").write_text(f"{pid} ({comm}) " + " ".join(fields) + "\n")
    (directory / "status").write_text(f"Name:\t{comm}\nVmPeak:\t 99999 kB\nVmRSS:\t {rss_kb} kB\n")


def test_cpu_seconds_and_rss_from_proc(tmp_path, monkeypatch):
    monkeypatch.setattr(footprint, "_TICK", 100)
    fake_proc(tmp_path, 42, "fakenet node (x) y", 250, 50, 54476)  # a name with spaces and parentheses
    assert footprint.cpu_seconds(42, tmp_path) == pytest.approx(3.0)
    assert footprint.rss_bytes(42, tmp_path) == 54476 * 1024


def test_engine_cpu_counts_the_engine_processes_and_the_children_they_reaped(tmp_path, monkeypatch):
    monkeypatch.setattr(footprint, "_TICK", 100)
    for pid, comm in ((7, "dockerd"), (8, "containerd-shim"), (9, "python3")):
        directory = tmp_path / str(pid)
        directory.mkdir()
        fields = ["S", "1"] + ["0"] * 9 + ["100", "20", "300", "80"] + ["0"] * 8  # utime stime cutime cstime
        (directory / "stat").write_text(f"{pid} ({comm}) " + " ".join(fields) + "\n")
        (directory / "comm").write_text(comm + "\n")
    assert sorted(footprint.engine_pids(tmp_path)) == [7, 8]
    assert footprint.cpu_with_children(8, tmp_path) == pytest.approx(5.0)
    assert footprint.cpu_seconds(8, tmp_path) == pytest.approx(1.2)


def test_memory_and_node_processes(tmp_path):
    assert machine.memory_gib("MemTotal:       24683776 kB\nMemFree: 1 kB\n") == 23.5
    server = [b"python", b"-m", b"fakenet.zygote", b"5", b"fakenet.node.daemon:preload"]
    for pid, parent, argv in ((1, 0, [b"/sbin/init"]), (2, 1, [b"python", b"-m", b"fakenet.node.daemon", b"--name", b"n"]),
                              (3, 1, [b"/opt/fakenet/bin/python3", b"/opt/fakenet/bin/fakenet-node"]),
                              (4, 1, server), (5, 4, server), (6, 4, server),  # a fork server and two forks
                              (7, 1, [b"python", b"-m", b"fakenet.node"])):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(argv) + b"\0")
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (python) S {parent} 1 1\n")
    assert machine.node_processes(tmp_path) == 5


def test_the_machine_s_cpu_model_and_its_cpu_seconds_busy_idle_and_stolen(monkeypatch):
    cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)  Processor @ 2.80GHz\n"
    assert machine.cpu_model(cpuinfo) == "Intel(R) Xeon(R) Processor @ 2.80GHz"
    assert machine.cpu_model("processor\t: 0\nFeatures\t: fp asimd\n") == ""  # no model name (some ARM kernels)
    monkeypatch.setattr(machine, "_TICK", 100)
    # user nice system idle iowait irq softirq steal guest guest_nice
    before = machine.cpu_times("cpu  1000 10 500 9000 100 0 90 300 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    assert before == {"busy": 16.0, "idle": 91.0, "steal": 3.0}
    after = machine.cpu_times("cpu  3000 10 900 9500 100 0 90 1300 0 0\n")
    assert machine.cpu_since(before, after) == {"busy": 24.0, "idle": 5.0, "steal": 10.0}
    assert machine.cpu_times("") == {} and machine.cpu_since({}, after) == {}
    with pytest.raises(ValueError, match="summary line"):
        machine.cpu_times("cpu0 1 2 3 4 5 6 7 8\n")


def test_the_reference_work_is_timed_in_cpu_seconds_and_its_median_is_taken(monkeypatch):
    assert machine._reference_work() == 14999949919  # the same work on every machine: only its time may differ
    clock = iter([0.0, 0.5, 1.0, 1.2, 2.0, 2.9])  # rounds of 0.5, 0.2 and 0.9 s
    monkeypatch.setattr(machine.time, "process_time", lambda: next(clock))
    ran = []
    monkeypatch.setattr(machine, "_reference_work", lambda: ran.append(1))
    assert machine.reference_cpu(3) == 0.5 and len(ran) == 3


def test_the_title_says_how_fast_the_machine_was_and_what_was_stolen_from_the_run():
    meta = {"quick": False, "seconds": 300.0,
            "machine": {"cpu_model": "Intel(R) Xeon(R) Processor @ 2.80GHz", "nproc": 2, "memory_gib": 23.5,
                        "docker_server": "20.10", "storage_driver": "fuse-overlayfs", "kernel": "6"},
            "load_before": {"loadavg": [0.5], "node_processes": 0, "containers_running": 0, "reference_cpu_s": 0.21},
            "load_after": {"loadavg": [3.0], "reference_cpu_s": 0.34},
            "cpu_over_run": {"busy": 540.0, "idle": 60.0, "steal": 12.0}}
    title = command._title(meta)
    assert "2 cores of Intel(R) Xeon(R) Processor @ 2.80GHz" in title
    assert "reference work 0.210 s → 0.340 s of CPU" in title
    assert "540 core-s busy, 60 idle, 12 stolen" in title
    del meta["cpu_over_run"], meta["load_before"]["reference_cpu_s"], meta["machine"]["cpu_model"]
    assert "reference work" not in command._title(meta) and "stolen" not in command._title(meta)  # an older JSON


# -- this run's resources ---------------------------------------------------------------------------


class FakeResource:
    def __init__(self, name, labels):
        self.name, self.labels, self.attrs, self.removed = name, labels, {"Labels": labels}, False

    def remove(self, **_options):
        self.removed = True


def test_sweep_removes_what_this_run_labelled_and_nothing_else():
    ctx = Context(QUICK, client=None, image="fakenet-node:x", run_id="bench123")
    mine = ctx.labels(ctx.new_run())
    others = {PROJECT_LABEL: "fakenet-bench", RUN_LABEL: "bench999x1", OWNER_LABEL: "elsewhere:1"}
    compose = {PROJECT_LABEL: "fakenet-bench-bench123x2", RUN_LABEL: "bench123x2"}
    resources = [FakeResource("a", mine), FakeResource("b", others), FakeResource("c", compose)]
    listing = SimpleNamespace(list=lambda **_filters: resources)
    ctx.client = SimpleNamespace(containers=listing, networks=listing, volumes=listing)
    assert sweep(ctx) == ["a", "c"] * 3 and not resources[1].removed
    assert sweep(ctx, run="bench123x2") == ["c"] * 3


def test_labels_name_project_run_and_owner():
    ctx = Context(QUICK, client=None, image="i", run_id="bench1")
    run_id = ctx.new_run()
    assert run_id == "bench1x1" and ctx.new_run() == "bench1x2"
    labels = ctx.labels(run_id)
    assert labels[PROJECT_LABEL] == "fakenet-bench" and labels[RUN_LABEL] == "bench1x1" and ":" in labels[OWNER_LABEL]
    assert ctx.ours(labels) and not ctx.ours({RUN_LABEL: "compose"}) and not ctx.ours(None)


class Refusing(FakeResource):
    def __init__(self, name, error):
        super().__init__(name, {})
        self.error, self.attempts = error, 0

    def remove(self, **_options):
        self.attempts += 1
        raise self.error


def test_a_resource_the_engine_keeps_is_noted_not_fatal(monkeypatch):
    import docker.errors

    from fakenet.bench import cleanup

    monkeypatch.setattr(cleanup, "RETRY", 0.2)
    ctx = Context(QUICK, client=None, image="i", run_id="bench1", progress=lambda line: None)
    stale = Refusing("fakenet-bench1x3", docker.errors.APIError("409", explanation="network has active endpoints"))
    assert cleanup.remove(ctx, stale) is False and stale.attempts > 1
    assert ctx.stuck == {"fakenet-bench1x3": "network has active endpoints"}
    assert cleanup.remove(ctx, Refusing("gone", docker.errors.NotFound("no such network"))) is True


def test_issue_28s_goals_stand_beside_their_figures():
    from fakenet.bench import node_start, scale, sim, startup

    assert node_start._specs()["cpu"].goal == 0.12 and node_start._specs()["floor"].goal is None
    ratios = {count: startup._specs(count, count == 64)[f"startup.{'docker' if count == 64 else 'compose'}.{count}.ratio"]
              for count in (4, 16, 64)}
    assert {count: figure.goal for count, figure in ratios.items()} == {4: 1.5, 16: 2.0, 64: 2.5}
    assert scale._one_host_specs()["scale.docker.64"].goal == 25.0
    big = {figure.key: figure.goal for figure in sim._specs(10000)}
    assert big["sim.mesh.10000"] == 120.0 and big["sim.peak.10000"] == 5000.0
    assert 10000 in FULL.sim_sizes and 10000 not in QUICK.sim_sizes
    scenario = {figure.key: figure.goal for figure in sim._scenario_specs(10000)}
    assert scenario == {"sim.scenario.10000": None, "sim.scenario_cpu.10000": None, "sim.scenario_peak.10000": 5000.0}


def test_the_large_scenario_scaled_keeps_every_named_node_on_its_side_of_the_partition():
    import re

    import yaml

    from fakenet.bench import sim

    written, scaled = (sim.ROOT / sim.SCENARIO).read_text(), sim.scaled_scenario(10000)
    assert (yaml.safe_load(written)["nodes"], yaml.safe_load(scaled)["nodes"]) == (1000, 10000)

    def sides(text):
        half = yaml.safe_load(text)["nodes"] // 2  # `partition: 2`: halves in node order, node (node1) first
        return [int(number or 1) <= half for number in re.findall(r"\bnode(\d*)\b", text.split("steps:")[1])]

    assert sides(scaled) == sides(written) and True in sides(written) and False in sides(written)
    with pytest.raises(ValueError, match="whole multiples"):
        sim.scaled_scenario(1500)


def test_per_backend_measures_each_backend_once_and_a_failure_marks_only_its_own_figures():
    from fakenet.errors import FakenetError

    calls = []

    def specs_for(_ctx, backend):
        return {"rate": spec(f"x.rate.{backend}", "x", f"rate ({backend})", "/s")}

    def measure(_ctx, backend):
        calls.append(backend)
        if backend == "local":
            raise FakenetError("no local nodes here")
        return {"rate": [3.0, 5.0]}

    figures = list(per_backend(SimpleNamespace(progress=lambda _line: None), specs_for, measure))
    assert calls == ["docker", "local"]
    docker, local = figures
    assert docker.samples == (3.0, 5.0) and not docker.skipped
    assert not local.samples and "no local nodes here" in local.skipped


@pytest.mark.parametrize("argument", ["abc", "0", "-5", "1e4"])
def test_the_sim_bench_command_refuses_a_bad_node_count_with_its_usage(argument, capsys):
    from fakenet.bench import sim

    with pytest.raises(SystemExit) as ended:
        sim.main([argument])
    assert ended.value.code == 2
    error = capsys.readouterr().err
    assert "usage: python -m fakenet.bench.sim" in error and f"not {argument!r}" in error and "Traceback" not in error


def test_the_64_node_idle_footprint_is_a_full_run_figure_with_the_cluster_on_and_off(monkeypatch):
    """--quick says why it leaves the 64-node idle figures out; a full run measures both series."""
    from fakenet.bench.plan import FULL

    monkeypatch.setattr(footprint.images, "sizes", lambda ctx: [])
    monkeypatch.setattr(footprint.images, "size_specs", lambda: {})
    nodes = {"rss": [30.0] * 4, "cpu": [0.5] * 4, "container_cpu": [0.6] * 4, "engine_cpu": [0.1]}
    monkeypatch.setattr(footprint, "docker_idle", lambda ctx: nodes)
    monkeypatch.setattr(footprint, "local_idle", lambda ctx: nodes)
    monkeypatch.setattr(footprint, "large_local_idle", lambda ctx: {"cpu": [2.7] * 64, "cpu_no_cluster": [0.5] * 64})

    def large(plan):
        figures = footprint.figures(SimpleNamespace(plan=plan, progress=lambda line: None))
        return {f.key: f for f in figures if f.key.startswith("footprint.cpu.local64")}

    quick = large(QUICK)
    assert sorted(quick) == ["footprint.cpu.local64", "footprint.cpu.local64.no_cluster"]
    assert all(not f.samples and "full run only" in f.skipped for f in quick.values())
    full = large(FULL)
    assert full["footprint.cpu.local64"].samples == (2.7,) * 64
    assert full["footprint.cpu.local64.no_cluster"].samples == (0.5,) * 64


def test_the_docker_idle_window_waits_for_every_node_s_http_apps():
    """The idle footprint opens once each node has loaded its HTTP apps (its first client's work): a
    node whose log lacks the line is still waited for."""
    def container(name, lines):
        return SimpleNamespace(name=name, logs=lambda: "\n".join(lines).encode())

    loaded = container("p-node-1", ["event=ready", "ts=… level=info node=node event=http_apps_serving ports=9094,7007"])
    starting = container("p-node-2", ["event=ready", "event=meshed peers=3"])
    assert footprint._apps_loaded([loaded, starting]) == ["p-node-2"]
    assert footprint._apps_loaded([loaded]) == []
