"""Issue 28: what `./fake up -d` does beyond what the engine must (compose's one-at-a-time starts,
polls of nodes already meshed, paramiko at import), checked without an engine."""

import itertools
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

from fakenet import cli, code_mounts, compose, compose_start, engine_reads, kinds, netstatus
from fakenet.errors import ContainerError
from support.module_clock import patch_time


def sparse(name, state, oneoff="False"):
    """A container as a sparse list returns it: State is a string, labels are under Labels."""
    return SimpleNamespace(id=f"{name}-id" + "0" * 12, status=state,
                           attrs={"State": state, "Labels": {"com.docker.compose.service": name,
                                                             "com.docker.compose.oneoff": oneoff}})


class Engine:
    """Containers of one project; a start blocks until `together` starts are in flight at once."""

    def __init__(self, containers, together):
        self.listed, self.started = [], []
        self.barrier = threading.Barrier(together, timeout=5) if together else None
        self.containers = SimpleNamespace(list=lambda **options: self.listed.append(options) or containers)
        self.api = SimpleNamespace(start=self.start)

    def start(self, container_id):
        if self.barrier:
            self.barrier.wait()  # a start that waits for the previous one to finish never gets past this
        self.started.append(container_id)


def test_up_starts_every_stopped_container_at_once_from_one_sparse_list():
    found = [sparse("node", "created"), sparse("node2", "running"), sparse("node3", "exited"),
             sparse("node4", "created")]
    engine = Engine(found, together=3)
    assert sorted(compose_start.start_all(engine, "p")) == ["node", "node3", "node4"]
    assert sorted(engine.started) == sorted(c.id for c in found if c.status != "running")
    labels = ["com.docker.compose.project=p", "com.docker.compose.oneoff=False"]
    assert engine.listed == [{"all": True, "sparse": True, "filters": {"label": labels}}]


def test_a_start_the_engine_refuses_names_its_service():
    import docker.errors

    engine = Engine([sparse("node3", "created")], together=0)

    def refuse(container_id):
        raise docker.errors.APIError("500", explanation="driver failed programming external connectivity")

    engine.api.start = refuse
    with pytest.raises(ContainerError, match="did not start node3 .*driver failed"):
        compose_start.start_all(engine, "p")


class Starter:
    """compose_start.AsCreated, recording when it is made, watches, is closed and finished."""

    def __init__(self, calls, reads, project):
        self.calls = calls
        calls.append(("as created", project))

    def watch(self, client):
        self.calls.append(("watch", client))

    def close(self):
        self.calls.append(("close",))

    def finish(self):
        self.calls.append(("finish",))


class Compose:
    """compose.start's process: `up` waits for it after importing what the wait needs."""

    def __init__(self, calls, args, code, brief):
        self.calls, self.code = calls, code
        calls.append(("compose", args, {"brief": brief}))

    def wait(self):
        self.calls.append(("compose exited", self.code))
        return self.code


def fake_up(monkeypatch, compose_exit: int = 0, taken=lambda subnet: False, paused=()) -> list:
    calls = []
    monkeypatch.setattr(cli, "_compose_subnet", lambda reads, project, tried: f"subnet{len(tried)}")
    monkeypatch.setattr(cli, "_subnet_taken_meanwhile", lambda reads, project, subnet: taken(subnet))
    monkeypatch.setattr(cli, "_docker", lambda: "client")
    monkeypatch.setattr(cli, "_engine", lambda: "client")
    monkeypatch.setattr(engine_reads, "answering", lambda client: SimpleNamespace(  # the engine's info: {}, none paused
        info=dict, paused=lambda labels: list(paused)))
    monkeypatch.setattr(cli, "_same_kind", lambda reads, project, kind: None)  # no containers of another kind
    monkeypatch.setattr(cli, "_print_table", lambda project, rows: None)
    monkeypatch.setattr(cli, "_import_for_the_wait", lambda: calls.append(("imports",)))
    monkeypatch.setattr(compose, "set_node_count", lambda *args: None)
    monkeypatch.setattr(code_mounts, "known_binds", lambda reads, image: {})
    monkeypatch.setattr(kinds, "get", lambda name: SimpleNamespace(name=name, present_image=lambda reads: "img",
                                                                   refusal_on=lambda backend, backends: None))
    monkeypatch.setattr(compose, "start", lambda project, args, **options: Compose(calls, args, compose_exit,
                                                                                    options.get("brief", False)))
    monkeypatch.setattr(compose, "run", lambda project, args, **options: calls.append(("compose", args)) or
                        SimpleNamespace(returncode=0))
    monkeypatch.setattr(compose_start, "AsCreated", lambda reads, project: Starter(calls, reads, project))
    monkeypatch.setattr(netstatus, "wait_meshed", lambda *args: calls.append(("wait",)) or [])
    return calls


def test_up_d_lets_compose_create_then_starts_itself_and_other_options_keep_composes_up(monkeypatch):
    calls = fake_up(monkeypatch)
    assert cli.main(["-p", "p", "up", "-d"]) == 0
    assert calls == [("as created", "p"), ("compose", ["up", "--no-start", "--remove-orphans"], {"brief": True}),
                     ("watch", "client"), ("imports",), ("compose exited", 0), ("close",), ("finish",), ("wait",)], \
        "the creates counted from before compose runs (a brief run: compose_logic), watched through the engine's client " \
        "and the wait's imports while it runs, the rest started after"
    calls.clear()
    assert cli.main(["-p", "p", "up", "-d", "--force-recreate"]) == 0
    assert calls == [("compose", ["up", "-d", "--force-recreate", "--remove-orphans"]), ("wait",)]


def test_up_unpauses_a_paused_node_before_compose_which_fails_on_one(monkeypatch, capsys):
    """`./fake pause node3` then `./fake up -d`: compose's `up` said `Error response from daemon: cannot
    start a paused container, try unpause instead` and up failed; `up` brings every node back."""
    calls = fake_up(monkeypatch, paused=[("id3", "p-node3-1")])
    unpaused = []
    monkeypatch.setattr(cli, "_engine", lambda: SimpleNamespace(api=SimpleNamespace(
        unpause=lambda container_id: unpaused.append(container_id) or calls.append(("unpaused", container_id)))))
    for argv in (["-p", "p", "up", "-d"], ["-p", "p", "up"]):
        calls.clear()
        assert cli.main(argv) == 0
        compose_ran = next(i for i, call in enumerate(calls) if call[0] == "compose")
        assert ("unpaused", "id3") in calls[:compose_ran], calls
    assert " Container p-node3-1 Unpaused" in capsys.readouterr().err


def test_up_d_whose_compose_fails_starts_nothing_more_and_says_composes_code(monkeypatch):
    calls = fake_up(monkeypatch, compose_exit=3)
    assert cli.main(["-p", "p", "up", "-d"]) == 3
    assert calls[-2:] == [("compose exited", 3), ("close",)]


def test_up_d_whose_subnet_another_run_took_meanwhile_tries_the_next_free_one(monkeypatch, capsys):
    exits = iter([1, 1, 0])
    monkeypatch.setattr(Compose, "wait", lambda self: self.calls.append(("compose exited",)) or next(exits))
    calls, chosen = fake_up(monkeypatch, taken=lambda subnet: True), []
    monkeypatch.setattr(compose, "set_node_count", lambda project, count, kind, subnet, code: chosen.append(subnet))
    assert cli.main(["-p", "p", "up", "-d"]) == 0
    assert chosen == ["subnet0", "subnet1", "subnet2"], "each try avoids the subnets lost before"
    assert calls.count(("finish",)) == 1 and calls[-1] == ("wait",)
    assert "another network took subnet0" in capsys.readouterr().err


def test_up_d_whose_compose_fails_for_another_reason_does_not_try_again(monkeypatch):
    calls = fake_up(monkeypatch, compose_exit=2, taken=lambda subnet: False)
    assert cli.main(["-p", "p", "up", "-d"]) == 2
    assert [call for call in calls if call[0] == "compose"] == [("compose", ["up", "--no-start", "--remove-orphans"],
                                                                 {"brief": True})]


def test_up_d_gives_up_after_a_bounded_number_of_lost_subnets(monkeypatch):
    calls = fake_up(monkeypatch, compose_exit=1, taken=lambda subnet: True)
    assert cli.main(["-p", "p", "up", "-d"]) == 1
    assert len([call for call in calls if call[0] == "compose"]) == cli.SUBNET_TRIES


class EventEngine(Engine):
    """An engine whose event stream reports `created` (ids) as compose would create them, then ends when closed."""

    def __init__(self, existing, created):
        super().__init__(existing, together=0)
        self.created, self.subscribed, self.closed = created, [], threading.Event()
        self.api.base_url = "http+docker://localhost"
        self.events = self.subscribe

    def subscribe(self, **options):
        self.subscribed.append(options)
        engine = self

        class Stream:
            def __iter__(self):
                for container_id in engine.created:
                    yield {"id": container_id, "Action": "create",
                           "Actor": {"Attributes": {"com.docker.compose.service": container_id.split("-")[0]}}}
                engine.closed.wait(5)

            def close(self):
                engine.closed.set()

        return Stream()


def test_a_new_projects_containers_start_as_they_are_created_not_after_compose():
    engine = EventEngine(existing=[], created=["node-id", "node2-id"])
    starter = compose_start.AsCreated(engine_reads.of(engine), "p")
    starter.watch(engine)
    deadline = time.monotonic() + 5
    while len(engine.started) < 2 and time.monotonic() < deadline:  # compose still running: nothing finished
        time.sleep(0.01)
    assert sorted(engine.started) == ["node-id", "node2-id"], "each started from its create event, before finish()"
    assert sorted(starter.finish()) == ["node", "node2"]
    options = engine.subscribed[0]
    assert options["filters"]["event"] == "create" and "com.docker.compose.project=p" in options["filters"]["label"]
    assert float(options["since"]) <= time.time(), "events from before the subscription are replayed"


def test_a_project_with_containers_already_is_started_only_once_compose_is_done():
    """compose may be replacing one beside the old (which holds its fixed address): no start before it exits."""
    engine = EventEngine(existing=[sparse("node", "running"), sparse("node2", "created")], created=["node2-new"])
    starter = compose_start.AsCreated(engine_reads.of(engine), "p")
    starter.watch(engine)
    assert engine.subscribed == [] and engine.started == []
    assert starter.finish() == ["node2"]


def node(name, address):
    return SimpleNamespace(id=f"{name}-id", name=f"p-{name}-1", status="running",
                           labels={"com.docker.compose.service": name},
                           attrs={"NetworkSettings": {"Networks": {"p2p": {"IPAddress": address}}}})


class Asked(list):
    holds: list


def rounds_over(monkeypatch, found, peers):
    """The wait's rounds over `found`, each node answering the peer counts `peers` lists in turn;
    the names asked in each probe (and in asked.holds, what each asked the nodes to wait for)."""
    asked = Asked()
    asked.holds = []

    def probe_listed(kind, containers, pool=None, until=None):
        names = [c.labels["com.docker.compose.service"] for c in containers]
        asked.append(names)
        asked.holds.append(until)
        return [netstatus.NodeStatus(n, "running", "id", 0, peers[n].pop(0)) for n in names]

    monkeypatch.setattr(netstatus, "probe_listed", probe_listed)
    listing = netstatus._Listing(None, "p", len(found))
    listing._settled = found
    # A clock a second further on at each look: every observe() is due. The real clock let a loaded
    # machine's slow first round put the next one off (a tenth of the time waited), and the test failed.
    ticks = itertools.count()
    return netstatus._Rounds(listing, None, len(found), pool=None, clock=lambda: float(next(ticks))), asked


def test_the_wait_asks_only_nodes_not_yet_meshed_then_everyone_in_one_round(monkeypatch):
    found = [node("node", "10.0.0.2"), node("node2", "10.0.0.3"), node("node3", "10.0.0.4")]
    peers = {"node": [2, 2, 2, 2], "node2": [0, 1, 2, 2], "node3": [1, 2, 2, 2]}  # answers, in order, per node
    rounds, asked = rounds_over(monkeypatch, found, peers)
    seen = [rounds.observe() for _ in range(3)]
    assert asked[:3] == [["node", "node2", "node3"], ["node2", "node3"], ["node2"]]
    assert asked[3] == ["node", "node2", "node3"], "the last one meshed: everyone is asked again at once"
    hold = (2, netstatus.HOLD)
    assert asked.holds == [hold, hold, hold, None], "nodes not yet meshed hold their answer; the confirming round does not"
    assert [whole for _, whole in seen] == [False, False, True]
    assert [row.peers for row in seen[-1][0]] == [2, 2, 2]


def test_a_node_that_fell_back_in_the_confirming_round_is_asked_again(monkeypatch):
    found = [node("node", "10.0.0.2"), node("node2", "10.0.0.3")]
    peers = {"node": [1, 0, 1, 1], "node2": [1, 1, 1]}
    rounds, asked = rounds_over(monkeypatch, found, peers)
    rows, whole = rounds.observe()  # both meshed at once: the confirming round follows, node has lost its peer
    assert whole and netstatus._problems(rows, 2) == ["node: 0 peers, expected 1"]
    rows, whole = rounds.observe()  # node alone, meshed again: then both together
    assert whole and not netstatus._problems(rows, 2)
    assert asked == [["node", "node2"], ["node", "node2"], ["node"], ["node", "node2"]]


def test_the_fake_command_imports_paramiko_only_for_an_ssh_engine():
    script = (
        "import sys\n"
        "from fakenet import lazy_ssh\n"
        "lazy_ssh.install()\n"
        "import docker, fakenet.cli\n"
        "print('paramiko' in sys.modules)\n"
        "try:\n"
        "    docker.APIClient(base_url='ssh://nobody@127.0.0.1:1', version='1.41')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__module__.split('.')[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # not at import; then the real SSH adapter (paramiko's own refusal, not "Install paramiko")
    assert done.stdout.split() == ["False", "paramiko"], done.stdout


def test_a_long_wait_asks_less_often_a_short_one_does_not(monkeypatch):
    found = [node("node", "10.0.0.2"), node("node2", "10.0.0.3")]
    asked = []

    def probe_listed(kind, containers, pool=None, until=None):
        asked.append(now[0])
        return [netstatus.NodeStatus(c.labels["com.docker.compose.service"], "running", error="refused")
                for c in containers]

    monkeypatch.setattr(netstatus, "probe_listed", probe_listed)
    engine = SimpleNamespace(containers=SimpleNamespace(list=lambda **options: found))  # refusing nodes: it is asked
    listing = netstatus._Listing(engine, "p", 2)
    listing._settled = found
    now = [100.0]
    rounds = netstatus._Rounds(listing, None, 2, pool=None, clock=lambda: now[0])
    for _ in range(300):  # wait_for's polls, 100 ms apart, for 30 s
        rounds.observe()
        now[0] += 0.1
    first_second = [t for t in asked if t < 100.95]
    assert len(first_second) == 10, "the first second: every poll asks"
    assert len(asked) < 100 and max(b - a for a, b in zip(asked, asked[1:])) <= netstatus.SLOWEST + 0.1, asked


def test_up_builds_through_the_sdk_when_the_image_or_the_code_copy_is_not_there_yet(monkeypatch):
    calls = fake_up(monkeypatch)
    monkeypatch.setattr(kinds, "get", lambda name: SimpleNamespace(
        name=name, present_image=lambda reads: None, image=lambda progress, client: calls.append(("build", client)) or "img",
        refusal_on=lambda backend, backends: None))
    monkeypatch.setattr(code_mounts, "known_binds", lambda reads, image: None)
    monkeypatch.setattr(code_mounts, "for_image", lambda client, image: calls.append(("copy", client, image)) or {})
    assert cli.main(["-p", "p", "up", "-d"]) == 0
    before_compose = calls[:next(i for i, call in enumerate(calls) if call[0] == "compose")]
    assert [call for call in before_compose if call[0] != "as created"] == [("build", "client"), ("copy", "client", "img")]


def test_a_held_question_to_a_node_not_listening_yet_is_asked_again_within_the_hold(monkeypatch):
    """The container runs before its process listens: a refused connect is tried again (doubling pauses)
    until the hold is spent, not left to the next round; any other failure is the answer at once."""
    import requests

    from fakenet.errors import RpcError
    from fakenet.harness.rpc import UNREACHABLE

    def failure(cause):
        error = RpcError(UNREACHABLE, "cannot reach http://10.0.0.2:6433/")
        error.__cause__ = cause
        return error

    class Client:
        def __init__(self, failures):
            self.failures, self.asked = list(failures), 0

        def summary_with(self, peers, wait):
            self.asked += 1
            if self.failures:
                raise self.failures.pop(0)
            return "summary"

    pauses = []
    monkeypatch.setattr(netstatus.time, "sleep", pauses.append)
    refused = [failure(requests.exceptions.ConnectionError("refused")) for _ in range(3)]
    client = Client(refused)
    assert netstatus._held_summary(client, (3, 1.0)) == "summary" and client.asked == 4
    assert pauses == [0.01, 0.02, 0.04]
    timeout = Client([failure(requests.exceptions.ConnectTimeout("unroutable"))])
    with pytest.raises(RpcError):
        netstatus._held_summary(timeout, (3, 1.0))
    assert timeout.asked == 1, "a connect timeout is the unroutable address (_Route), not a node starting"
    clock = iter([100.0, 100.5, 101.2])
    patch_time(monkeypatch, netstatus, monotonic=lambda: next(clock))
    late = Client([failure(requests.exceptions.ConnectionError("refused")) for _ in range(5)])
    with pytest.raises(RpcError):
        netstatus._held_summary(late, (3, 1.0))
    assert late.asked == 2, "not past the hold"


class CurrentEventEngine(EventEngine):
    """As engines of API 1.52 and later stream events: the container's id in Actor.ID alone (the deprecated
    `id`, `status` and `from` fields are gone)."""

    def subscribe(self, **options):
        stream = super().subscribe(**options)
        older = type(stream).__iter__

        class Current(type(stream)):
            def __iter__(self):
                for event in older(self):
                    container_id = event.pop("id")
                    event["Actor"]["ID"] = container_id
                    yield event

        return Current()


def test_containers_start_as_created_from_events_that_name_them_in_actor_id_only(monkeypatch):
    crashes = []
    monkeypatch.setattr(threading, "excepthook", crashes.append)
    engine = CurrentEventEngine(existing=[], created=["node-id", "node2-id"])
    starter = compose_start.AsCreated(engine_reads.of(engine), "p")
    starter.watch(engine)
    deadline = time.monotonic() + 5
    while len(engine.started) < 2 and time.monotonic() < deadline and not crashes:
        time.sleep(0.01)
    assert (sorted(engine.started), crashes) == (["node-id", "node2-id"], []), "from the create events, no traceback"
    assert sorted(starter.finish()) == ["node", "node2"]
