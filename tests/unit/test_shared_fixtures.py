"""support/shared_fixtures.py: which items travel together to one xdist worker."""

import os
from types import SimpleNamespace

from support import shared_fixtures


def item(nodeid, scopes, params=None, markers=None):
    definitions = {name: [SimpleNamespace(scope=scope)] for name, scope in scopes.items()}
    return SimpleNamespace(nodeid=nodeid, _fixtureinfo=SimpleNamespace(name2fixturedefs=definitions),
                           callspec=SimpleNamespace(params=params or {}), get_closest_marker=(markers or {}).get)


def test_items_sharing_a_costly_module_fixture_are_grouped_by_module_and_its_parameter():
    harness = "tests/integration/test_harness.py"
    local = item(f"{harness}::test_fault[local-crash]", {"net4": "module", "tmp_path": "function"}, {"net4": "local"})
    docker = item(f"{harness}::test_fault[docker-crash]", {"net4": "module"}, {"net4": "docker", "fault": "crash"})
    assert shared_fixtures.group(local) == f"{harness}[net4=local]"
    assert shared_fixtures.group(docker) == f"{harness}[net4=docker]"
    wheel = item("tests/integration/test_installed_wheel.py::test_up", {"installed": "module"})
    assert shared_fixtures.group(wheel) == "tests/integration/test_installed_wheel.py"


def test_items_with_only_function_or_cheap_module_fixtures_go_out_alone():
    assert shared_fixtures.group(item("t.py::test_a", {"tmp_path": "function", "start_nodes": "function"})) is None
    assert shared_fixtures.group(item("t.py::test_b", {"docker_client": "module", "node_image": "module"})) is None
    assert shared_fixtures.group(SimpleNamespace(nodeid="scenarios/x.yaml::x[local]", get_closest_marker={}.get)) is None  # no fixtures at all


def test_items_marked_one_worker_share_a_group_across_modules_whatever_their_fixtures():
    swarm = {"one_worker": SimpleNamespace(args=("swarm",))}
    hosts = item("tests/integration/test_hosts_backend.py::test_a", {"tmp_path": "function"}, markers=swarm)
    stack = item("tests/integration/test_stack_export.py::test_b", {"installed": "module"}, markers=swarm)
    assert shared_fixtures.group(hosts) == shared_fixtures.group(stack) == "one_worker:swarm"


def test_the_controller_reads_what_its_workers_wrote_once(monkeypatch, tmp_path):
    monkeypatch.setattr(shared_fixtures.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(shared_fixtures.os, "getppid", os.getpid)  # this process plays both
    items = [item("m.py::test_a", {"pair": "module"}), item("m.py::test_b", {"tmp_path": "function"})]
    shared_fixtures.write_groups(SimpleNamespace(), items)  # not a worker: writes nothing
    assert shared_fixtures.read_groups(os.getpid()) == {}
    shared_fixtures.write_groups(SimpleNamespace(workerinput={}), items)
    assert shared_fixtures.read_groups(os.getpid()) == {"m.py::test_a": "m.py"}
    assert shared_fixtures.read_groups(os.getpid()) == {}, "the file is gone once read"


def test_the_longest_items_go_first_and_the_unit_tests_last():
    from types import SimpleNamespace

    from support.long_first import longest_first

    ids = ["tests/unit/test_a.py::test_x", "scenarios/x.yaml::x[docker]", "tests/integration/test_api_fuzz.py::test_y",
           "tests/integration/test_z.py::test_z", "tests/unit/test_b.py::test_w"]
    items = [SimpleNamespace(nodeid=nodeid) for nodeid in ids]
    longest_first(items)
    assert [item.nodeid for item in items] == [
        "tests/integration/test_api_fuzz.py::test_y", "scenarios/x.yaml::x[docker]", "tests/integration/test_z.py::test_z",
        "tests/unit/test_a.py::test_x", "tests/unit/test_b.py::test_w"]
