"""The `fake` command: a compose network of fakenet nodes, scenarios, benchmarks and the test suite.

Compose v2's own verbs (ps, logs, exec, stop, start, restart, config, top, …) pass through to
Compose v2 on the project; any other word is an error that suggests the nearest verb. PROJECT
defaults to FAKENET_PROJECT or "fakenet". Errors, bad arguments included, exit 1 with one line;
bugs exit 2 with a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from fakenet import (code_mounts, compose, compose_addresses, compose_options, compose_start, engine_reads,
                     invocation, kinds)
from fakenet.errors import FakenetError
from fakenet.harness.backends import NAMES as BACKENDS
from fakenet.labels import COMPOSE_PROJECT_LABEL as PROJECT_LABEL_COMPOSE
from fakenet.naming import natural

UP_TIMEOUT = 120.0  # seconds `up -d` waits for a healthy mesh; FAKENET_UP_TIMEOUT overrides it
SUBNET_TRIES = 8  # `up`s whose compose found its subnet taken by a concurrent run: each tries the next free one
# Compose v2's verbs (`docker compose --help`): only these pass through, so a typo is fakenet's error.
COMPOSE_VERBS = {"attach", "build", "config", "cp", "create", "down", "events", "exec", "images", "kill", "logs",
                 "ls", "pause", "port", "ps", "pull", "push", "restart", "rm", "run", "scale", "start", "stats",
                 "stop", "top", "unpause", "up", "version", "wait", "watch"}

NODE_COMMANDS = {"cli", "bitcoin-cli", "litecoin-cli"}  # what a node's container runs, not fake's verbs


class UsageError(FakenetError):
    """A bad command line: one line, exit 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


class _HelpWithComposes(argparse.Action):
    """-h of a verb whose other options go to Compose (up, down): fakenet's own, then Compose's, which its
    refusal of a bad option points at (before, `fake down --help` listed only -v)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        verb = parser.prog.split()[-1]
        parser.print_help()
        if text := compose_options.options_text(compose.compose_binary(), verb):
            print(f"\nother options, passed to `compose {verb}`:\n{text}")
        parser.exit()


def did_you_mean(word: str, options) -> str:
    """suggest.did_you_mean, imported only for a word that needs it: difflib is ~1.4 ms of CPU on every start."""
    from fakenet.suggest import did_you_mean as nearest

    return nearest(word, options)


_clients: list = []  # one engine client per command: each new one asks the engine for its API version
_engines: list = []


def _docker():
    import docker  # imported here so `fake test` and `fake --help` work without an engine

    if not _clients:
        try:
            _clients.append(docker.from_env())
        except docker.errors.DockerException as exc:
            raise FakenetError(f"cannot reach the Docker engine: {exc}") from exc
    return _clients[0]


def _engine():
    """The client of `up`'s and `status`'s calls after compose (starts, events, listing): over a local
    engine's unix socket without importing the SDK (socket_client: ~75 ms of CPU, issue 28), else the SDK's."""
    from fakenet import socket_client

    if not _engines:
        _engines.append(socket_client.answering(_docker))
    return _engines[0]


def _print_table(project: str, rows: list, console=None) -> None:
    """The status table of `rows` (netstatus.NodeStatus). No published URL is ever cut (on 80 columns
    each ended "http://127.0.0…", its port lost): each fits whole, its label wrapping above it, and the
    identity column gives up the room, its PeerID shortened with "…" (`cli -getinfo` has it whole).
    Without emoji codes: a node's error is the node's words (":x:" was drawn as a cross), and rich's table
    of 3,600 codes is ~11 M instructions, a third of the table's CPU in `up` (issue 28)."""
    from rich.table import Table

    from fakenet import terminal

    console = console or terminal.console(emoji=False)
    cells = [(row.name, row.state, row.peerid or row.error, "" if row.height is None else str(row.height),
              "" if row.peers is None else str(row.peers), "\n".join(row.urls)) for row in rows]
    headers = ("node", "state", "identity", "height", "peers", "published")
    url = max((len(line.rsplit(" ", 1)[-1]) for row in rows for line in row.urls), default=0)
    widths = [max([len(header)] + [len(cell[i]) for cell in cells]) for i, header in enumerate(headers)]
    widths[5] = max(len(headers[5]), url)
    # Each column takes its text, a space either side and a border; the identity gets what is left.
    identity = max(8, console.width - (sum(widths) - widths[2]) - 3 * len(headers) - 1)
    table = Table(title=f"fakenet network {project!r}", title_justify="left")
    for header in headers:
        table.add_column(header, **({"max_width": identity} if header == "identity" else
                                    {"min_width": widths[5]} if header == "published" else {}))
    for cell in cells:
        table.add_row(*cell)
    console.print(table)


def _whole_number(minimum: int, too_small: str, maximum: int | None = None, too_big: str = ""):
    """An argparse type: a whole number >= minimum (and <= maximum); `too_small`/`too_big` say why not."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(too_small.format(value))
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(too_big.format(value))
        return value
    return parse


# `up`'s nodes have fixed addresses on one /24 (fakenet/compose_addresses.py): a bigger count would
# first spin building names and addresses, then fail inside compose.
UP_MAX_NODES = 2 ** (32 - compose_addresses.PREFIX) - 3  # the subnet less its network, broadcast and gateway
# At least compose's own nodes (node…node4): `--nodes 2` passed here, then compose.check_node_count refused it
# in other words than `--nodes 0` got ("at least 2").
_up_count = _whole_number(compose.BASE_NODES, f"`fake up` starts at least {compose.BASE_NODES} nodes, not {{}}; "
                          "fewer run in the harness (`fake scenario run … --nodes N`)", UP_MAX_NODES,
                          f"`fake up` fits at most {UP_MAX_NODES} nodes on its subnet, not {{}}; "
                          "larger networks run in the harness (`fake scenario run … --backend sim --nodes N`)")
def _run_count(text: str) -> int:
    """A harness network's node count (`scenario run`, `soak`), bounded and worded as a scenario's `nodes:`."""
    from fakenet.scenario import schema
    from fakenet.scenario.loader import node_count

    try:
        return node_count(int(text) if text.strip().lstrip("-").isdigit() else text)
    except schema.Invalid as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_count = _whole_number(0, "expected a number >= 0, not {}")
_jobs = _whole_number(1, "expected at least 1 job, not {}")  # its default: the node count's check refused 1
_seed = _whole_number(0, "expected a seed >= 0, not {}")


def _from_environment(name: str, parse, default):
    """An environment variable through an argument type: a bad value is one line naming the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return parse(text)
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise UsageError(f"fake: {name}={text!r}: {exc}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"expected a number of seconds > 0, not {text!r}")
    return value


def _duration(text: str) -> float:
    """An argparse type for a --seconds flag: a finite number > 0 (a negative or NaN one ran nothing and said
    it passed)."""
    try:
        return _seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _choice(name: str, choices, default: str) -> str:
    """A flag's default from the environment, refused (naming the variable) unless it is one of `choices`."""
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}{did_you_mean(text, set(choices))}")
        return text
    return _from_environment(name, parse, default)


# Compose's own rule for a project name; the name also becomes a file name under the state directory.
PROJECT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Names built on it must fit a file name's 255 bytes: the state directory's PROJECT.override.yml, the
# engine's volume folders (PROJECT_node253-data), `dump`'s fakenet-dump-PROJECT-TIME.tar.gz. A longer
# one failed half-way with "[Errno 36] File name too long".
PROJECT_MAX = 200


def _project_name(text: str) -> str:
    if not PROJECT_NAME.fullmatch(text):
        raise UsageError(f"fake: project name {text!r}: use lowercase letters, digits, '-' and '_', starting with "
                         "a letter or digit (Compose's rule)")
    if len(text) > PROJECT_MAX:
        raise UsageError(f"fake: project name {text[:20]}… is {len(text)} characters long; at most {PROJECT_MAX}")
    return text


def _writable_folder(path: Path, what: str) -> Path:
    """`path` (made if missing) is a folder this user can write into; checked before any work starts."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"fake: {what} {path}: cannot create it ({exc.strerror})") from None
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"fake: {what} {path}: {'not a directory' if not path.is_dir() else 'not writable'}")
    return path


def _future_folder(path: Path, what: str) -> Path:
    """A folder that can be made later (not made now): it is a writable folder, or its nearest existing
    parent is one. For output written only at the end or on failure, which must not be lost then."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"fake: {what} {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"fake: {what} {path}: {existing} is not writable")
    return path


def _empty_folder(path: Path, what: str) -> Path:
    """A folder a bundle can be written into and packed whole: new or empty. One holding files already
    (`fake dump .`, an older dump) had them packed into DIR.tar.gz beside the evidence, for a bug report;
    `.` also failed with a traceback (no name to give the archive)."""
    path = Path(os.path.abspath(path))
    if path.is_dir() and any(path.iterdir()):
        raise UsageError(f"fake: {what} {path}: holds files already, and all of it would be packed into "
                         f"{path.name}.tar.gz; name a new or empty folder")
    return _future_folder(path, what)


def _new_file(path: Path, what: str) -> Path:
    """A file that can be written: its directory exists and is writable, and it is not a directory."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"fake: {what} {path}: no such directory {folder}")
    if path.is_dir() or not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"fake: {what} {path}: {'is a directory' if path.is_dir() else 'not writable'}")
    return path


def _checked(check):
    """An argparse type that keeps the text and refuses what `check` refuses, in its words."""
    def accept(text: str) -> str:
        try:
            check(text)
        except FakenetError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    return accept


def _placement(text: str) -> str:
    from fakenet.harness.backends.hosts import parse_placement

    return _checked(parse_placement)(text)


def _hosts_flag(key: str):
    def check(text: str):
        from fakenet.harness.backends import hosts_flags

        return hosts_flags.PARSERS[key](text)
    return _checked(check)


def _reach_address(text: str) -> str:
    from fakenet.host_registry import check_reach

    return _checked(check_reach)(text)


# -- verbs: each function's docstring is its help text -------------------------------------------------

def _compose_subnet(reads, project: str, tried: list):
    """The project's subnet: the one its network has, else one clear of every engine network and of the
    subnets `tried` already (taken by another run meanwhile)."""
    from fakenet.harness.backends import subnets

    return subnets.kept_or_free(reads, compose_addresses.project_network(project), compose_addresses.POOL,
                                compose_addresses.PREFIX, project, avoid=tried)


def _subnet_taken_meanwhile(reads, project: str, subnet) -> bool:
    """Compose failed, made no network for the project, and another network now holds `subnet`: another
    `up` (or a harness run) created one on it between our look and compose's create. The engine refuses
    the second ("Pool overlaps with other one on this address space"); seen with parallel test workers."""
    from fakenet.harness.backends import subnets

    if reads.network(compose_addresses.project_network(project)) is not None:
        return False
    return any(subnet.overlaps(other) for other in subnets.used(reads))


def _code_binds(reads, image: str) -> dict[str, str]:
    """The node code's binds (code_mounts): known from `reads`, else the copy taken through the SDK."""
    known = code_mounts.known_binds(reads, image)
    return known if known is not None else code_mounts.for_image(_docker(), image)


def cmd_up(args, extra: list[str]) -> int:
    """Build the node image if needed, start N nodes (default 4, or FAKENET_NODES) of a kind (fakenet,
    or --kind litecoin: Litecoin Core regtest), wait until all are healthy and meshed, print the
    status table. Other arguments go to `compose up`."""
    kind = kinds.get(args.kind or _project_kind(args.project))
    _runs_on(kind.name, "docker")  # compose runs containers on one engine: the docker backend's ground
    compose.compose_file(kind.name)  # a kind without a compose file fails before anything is built
    timeout = _from_environment("FAKENET_UP_TIMEOUT", _seconds, UP_TIMEOUT)
    count = args.nodes or _from_environment("FAKENET_NODES", _up_count, None) \
        or (compose.node_count(args.project) if kind.name == compose.DEFAULT_KIND else compose.BASE_NODES)
    compose.check_node_count(count, kind.name)  # before a build, which can take a minute
    _check_compose_options(args.project, ["up", *extra])
    with _loading_uncollected():
        code = _create(args, extra, kind, count)
    if code != 0 or not args.detach:
        return code
    from fakenet import netstatus

    rows = netstatus.wait_meshed(_engine(), args.project, count, timeout, kind)
    _print_table(args.project, rows)
    return 0


def _create(args, extra: list[str], kind, count: int) -> int:
    """`up`'s creates and starts (compose's exit code): the image, the subnet and the code binds, then compose."""
    # What compose needs, asked without the SDK where the engine is this machine's (engine_reads): its
    # import then overlaps compose's run instead of delaying it. A build, a pull or a first code copy use it.
    reads = engine_reads.answering(_docker)
    starts_here = args.detach and not extra  # compose creates, we start all at once (fakenet/compose_start.py says why)
    # The questions before compose, asked at once (engine_reads.together); the engine's info is asked
    # beside them for the code binds', which wait for the image.
    _, image, subnet, starter, _, paused = engine_reads.together(
        lambda: _same_kind(reads, args.project, kind.name), lambda: kind.present_image(reads),
        lambda: _compose_subnet(reads, args.project, []),
        lambda: compose_start.AsCreated(reads, args.project) if starts_here else None, reads.info,
        lambda: reads.paused([f"{PROJECT_LABEL_COMPOSE}={args.project}"]))
    if paused:  # `up` brings every node back, a paused one too (compose's own up fails on it)
        compose_start.unpause(_engine(), paused)
    image = image or kind.image(lambda line: print(f"build| {line}", file=sys.stderr), _docker())
    code_binds, tried = _code_binds(reads, image), []
    while True:
        subnet = subnet or _compose_subnet(reads, args.project, tried)
        compose.set_node_count(args.project, count, kind.name, subnet, code_binds)
        if starts_here:
            code = _create_and_start_said(reads, args.project, image, kind.name, starter)
            starter = None  # a second try watches from its own start
        else:  # attached, or compose options fakenet does not interpret: compose's own up
            detach = ["-d"] if args.detach else []
            code = compose.run(args.project, ["up", *detach, *extra, "--remove-orphans"], image=image,
                               kind=kind.name).returncode
        if code == 0 or len(tried) + 1 >= SUBNET_TRIES or not _subnet_taken_meanwhile(reads, args.project, subnet):
            break
        tried.append(subnet)
        print(f"fake: another network took {subnet} while compose was creating {args.project}'s; "
              f"trying another subnet", file=sys.stderr)
        subnet = None
    return code


@contextlib.contextmanager
def _loading_uncollected():
    """No collector passes while `up` loads what it imports on its way (the image's and the subnet's
    modules, the starts' client, the wait's and rich's): those live until the process ends, and 23
    passes over them were ~13 M instructions of `up`'s CPU (issue 28). Frozen once loaded, as __main__
    freezes the command's own modules: never scanned again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _project_kind(project: str) -> str:
    """The kind `up` starts without --kind: the project's own where an earlier `up` made it (its override is
    on record; a new project is not asked the engine), else fakenet. `up -d --kind litecoin`, then `up -d`,
    was refused as `up` of the other kind."""
    return compose.kind_of(project) if compose.override_path(project).exists() else compose.DEFAULT_KIND


def _same_kind(reads, project: str, kind: str) -> None:
    """`up` of another kind than the project's containers have would recreate them as that kind on the
    same volumes (a fakenet network gone without a word, its data dirs handed to litecoind): refused."""
    from fakenet.labels import KIND_LABEL

    for other in sorted(set(compose.FILES) - {kind}):
        if reads.has_containers([f"{PROJECT_LABEL_COMPOSE}={project}", f"{KIND_LABEL}={other}"]):
            fake = invocation.command(project)
            again = f"{fake} up -d" + ("" if other == compose.DEFAULT_KIND else f" --kind {other}")
            raise UsageError(f"fake up: project {project!r} runs {other} nodes, not {kind}: `{again}` for those, "
                             f"or `{fake} down -v` first (or another project: -p NAME)")


def _create_and_start_said(reads, project: str, image: str, kind: str, starter) -> int:
    """_create_and_start, a node refused for a host port another program holds said as that (port_taken)."""
    from fakenet.errors import ContainerError

    try:
        return _create_and_start(reads, project, image, kind, starter)
    except ContainerError as exc:
        from fakenet import port_taken

        said = exc.node and port_taken.explained(exc.node, exc.output, compose.environment(project, image),
                                                 set(os.environ), invocation.command(project))
        if not said:
            raise
        raise FakenetError(said) from exc


def _create_and_start(reads, project: str, image: str, kind: str, starter: compose_start.AsCreated | None) -> int:
    """Compose creates the project (`up --no-start`); its containers start as they are created
    (compose_start.AsCreated). What `up` needs after compose is made or imported while compose runs (the
    client for the starts, _engine: the SDK's import where the engine is not on a unix socket; then the
    wait's modules): compose waits on the engine most of that time, and those
    imports were ~110 ms of CPU before or after it. On a quiet machine both are done before compose's
    first create (~0.15 s after its start); on a loaded one the wait's imports can meet the creates and
    delay each start by 20-30 ms (the interpreter's lock), but imported once compose is done they met
    the nodes' own start instead, and `up` was no shorter in alternated runs at load 9-13 (issue 28)."""
    starter = starter or compose_start.AsCreated(reads, project)
    try:
        process = compose.start(project, ["up", "--no-start", "--remove-orphans"], image=image, kind=kind,
                                brief=True)
        try:
            starter.watch(_engine())
            _import_for_the_wait()
        finally:
            code = process.wait()  # Ctrl-C reaches compose too (same process group): it stops on its own
    finally:
        starter.close()
    if code == 0:
        starter.finish()
    return code


def _import_for_the_wait() -> None:
    """The modules of `up`'s wait and table."""
    import rich.table  # noqa: F401

    from fakenet import netstatus, terminal  # noqa: F401


def cmd_status(args, extra: list[str]) -> int:
    """The status table of a running network: node, identity, height, peers, published URLs."""
    from fakenet import netstatus

    found = netstatus.containers(_engine(), args.project)  # listed once: its kind, then each node asked
    rows = netstatus.probe_listed(kinds.get(compose.kind_in(found)), found)
    if not rows:
        raise FakenetError(_not_running(args.project))
    # A node `up` made whose container is gone (`fake rm -f node3`, `docker rm`) is a row too: left out,
    # the table read as a smaller network that was fine.
    listed = {row.name for row in rows}
    again = f"no container: `{invocation.command(args.project)} up -d` makes it again"
    rows += [netstatus.NodeStatus(name, "removed", error=again)
             for name in compose.recorded_services(args.project) if name not in listed]
    _print_table(args.project, sorted(rows, key=lambda row: natural(row.name)))
    return 0


def cmd_down(args, extra: list[str]) -> int:
    """Stop and remove the network (-v: its volumes too, so the next `up` starts at height 0 with
    new identities). Other arguments go to `compose down`."""
    _check_compose_options(args.project, ["down", *extra])
    held = _holds_anything(engine_reads.answering(_docker), args.project)
    code = compose.run(args.project, ["down", *(["-v"] if args.volumes else []), *extra]).returncode
    if code == 0:
        compose.override_path(args.project).unlink(missing_ok=True)
        if args.volumes:  # fresh state next time: a new cluster secret too
            compose.secret_file(args.project).unlink(missing_ok=True)
            _remove_dropped_volumes(args.project)
    if code == 0 and not held:  # compose said nothing and exited 0: a mistyped -p read as a network removed
        print(f"fake: no network {args.project!r} to remove{_running_others(args.project)}", file=sys.stderr)
    return code


def _holds_anything(reads, project: str) -> bool:
    """The project has containers, its network or volumes on the engine: something for `down` to remove."""
    label = [f"{PROJECT_LABEL_COMPOSE}={project}"]
    return (reads.has_containers(label) or reads.network(compose_addresses.project_network(project)) is not None
            or bool(reads.volumes(label)))


def _remove_dropped_volumes(project: str) -> None:
    """Compose's `down -v` removes the volumes its files name now. Those of nodes a later, smaller `up`
    dropped (node5-data after `--nodes 6`, then 4) stayed, and the next `up --nodes 6` gave node5 its
    old identity and chain: not the fresh state `down -v` promises."""
    left = engine_reads.answering(_docker).volumes([f"{PROJECT_LABEL_COMPOSE}={project}"])
    if not left:
        return
    import docker.errors

    for name in left:
        try:
            _docker().volumes.get(name).remove(force=True)
        except docker.errors.NotFound:  # gone meanwhile
            continue
        except docker.errors.APIError as exc:  # in use by a container compose does not know (one made by hand)
            print(f"fake: volume {name} not removed: {exc.explanation or exc}", file=sys.stderr)
            continue
        print(f" Volume {name} Removed", file=sys.stderr)  # as compose says it


def cmd_prune(args, extra: list[str]) -> int:
    """Remove every fakenet-labelled container, network and volume that no running network owns, on
    every known host (`fake hosts ls`; overlays last, and a swarm fakenet made for runs once none is
    left), and node and litecoin images no container uses (the newest of each stays)."""
    from fakenet.prune import prune_hosts, prune_images

    swept = prune_hosts()
    for host, done in swept.items():
        where = "" if host == "local" else f" on {host}"
        for kind in ("containers", "networks", "volumes"):
            for name in getattr(done, kind):
                print(f"removed {kind[:-1]} {name}{where}")
    images = prune_images(_docker())
    for tag in images:
        print(f"removed image {tag}")
    copies, kept = code_mounts.prune(_docker())  # the host copies of the images just removed (or gone before)
    for name in copies:
        print(f"removed code copy {name}")
    for name, users in kept.items():  # its nodes import lazily: removed, they would find their code gone
        print(f"kept code copy {name}: mounted by {', '.join(users)} (remove the container to let it go)")
    if not any(swept.values()) and not images and not copies and not kept:
        print("nothing to prune")
    return 0


def cmd_export(args, extra: list[str]) -> int:
    """Write the network as a Docker stack file (--stack FILE, mode 0600: it holds the RPC credentials)
    for `docker stack deploy` on your own swarm: N task slots (default 4) named node-1… by hostname,
    each with its own volume, dnsrr endpoints, NET_ADMIN, no restarts. README says what it lacks."""
    from fakenet import stack

    kind = kinds.get(args.kind)
    _new_file(args.stack, "--stack")
    image = kind.image(lambda line: print(f"build| {line}", file=sys.stderr), _docker())
    stack.write(args.stack, kind, image, args.nodes, project=f"{args.project}-stack")
    print(f"wrote {args.stack}: {args.nodes} nodes of {image}; deploy with "
          f"`docker stack deploy -c {args.stack} NAME` (the image must be on every swarm node)")
    return 0


def cmd_hosts_add(args, extra: list[str]) -> int:
    """Record a Docker host (an engine URL such as ssh://user@h2; the docker SDK's ssh support uses your
    own ssh keys, agent and known_hosts) after checking that its engine answers. Runs on the hosts
    backend spread nodes over this machine's engine ("local", the swarm manager) and every recorded host."""
    from fakenet import host_registry as hosts

    hosts.check_url(args.url)
    client = hosts.client(args.url)
    try:
        info = client.info()
    finally:
        client.close()
    name = hosts.add(args.url, args.name, args.reach)
    reached = f"; its ports reached at {args.reach}" if args.reach else ""
    print(f"added {name}: {args.url} ({info['Name']}, Docker {info['ServerVersion']}){reached}")
    return 0


def cmd_hosts_ls(args, extra: list[str]) -> int:
    """The known Docker hosts, by name, and their engine URLs ("local" is this machine's engine)."""
    from fakenet import host_registry as hosts

    known = hosts.load()
    reach = hosts.reach_of(known)
    for name, url in known.items():
        print(f"{name}\t{url}" + (f"\treach {reach[name]}" if name in reach else ""))
    return 0


def cmd_hosts_rm(args, extra: list[str]) -> int:
    """Forget a Docker host; a swarm fakenet joined it to is left on that host."""
    from fakenet import host_registry as hosts
    from fakenet.harness.backends import swarm

    url = hosts.remove(args.name)
    if swarm.leave_joined(hosts.client("local"), hosts.client(url)):
        print(f"{args.name} left the swarm fakenet had joined it to")
    print(f"removed {args.name}: {url}")
    return 0


def cmd_graph(args, extra: list[str]) -> int:
    """The observed peer graph of a running network (a PNG with --png FILE)."""
    from fakenet.harness.network import Network

    if args.png:  # before attaching: a picture that cannot be written is the user's to fix first
        if not args.png.name or args.png.is_dir():  # with_suffix: '' was a ValueError, /tmp wrote /tmp.png
            raise UsageError(f"fake graph: --png {str(args.png)!r}: is a directory; name a .png file")
        if args.png.suffix.lower() not in ("", ".png"):  # matplotlib picks the format by it: `.txt` was a traceback
            raise UsageError(f"fake graph: --png {args.png}: the picture is a PNG; name the file .png")
        args.png = _new_file(args.png.with_suffix(".png"), "--png")  # matplotlib adds it: say the name written
    net = Network.attach(args.project, kind=compose.kind_of(args.project))
    try:
        observed = net.oracle.observed_graph()
        for name in sorted(net.names, key=natural):
            peers = sorted(observed.neighbors(name), key=natural) if name in observed else []
            print(f"{name}: {'(down)' if name in net.oracle.model.down else ' '.join(peers)}")
        if args.png:
            net.oracle.draw(args.png)
            print(f"wrote {args.png}")
    finally:
        net.close()
    return 0


def cmd_dump(args, extra: list[str]) -> int:
    """Write what a running network shows now as a bundle, DIR and DIR.tar.gz (default
    fakenet-dump-PROJECT-TIME): full node logs, configs without secrets, observed graph, chain tips,
    stream holders, manifest, and the HTML report."""
    import time

    from fakenet.bundle import from_network, write
    from fakenet.harness.network import Network

    folder = _empty_folder(args.dir or Path(f"fakenet-dump-{args.project}-{time.strftime('%Y%m%d-%H%M%S')}"), "dump")
    net = Network.attach(args.project, kind=compose.kind_of(args.project))
    try:
        archive = write(from_network(net, f"{args.project} (fake dump)"), folder)
    finally:
        net.close()
    print(f"wrote {folder}/ (report: {folder / 'index.html'}) and {archive}")
    return 0


def cmd_scenario_run(args, extra: list[str]) -> int:
    """Run a scenario file with a live progress view; exit 0 if every step passed, else 1."""
    from fakenet.scenario import load

    args.backend = args.backend or _choice("FAKENET_BACKEND", BACKENDS, "local")
    if args.trace is not None and args.backend != "sim":  # the backend refused it only as the network started,
        # and the run then blamed the scenario with a replay line that had dropped the flag
        raise UsageError(f"fake: --trace only goes with --backend sim (a trace is in network time), "
                         f"not --backend {args.backend}")
    hosts_options = _hosts_options(args)  # flags first: they are cheaper to check than the file
    scenario = load(args.file, kind=args.kind)
    _runs_on(args.kind or scenario.kinds[0], args.backend)
    if args.nodes and args.nodes != scenario.nodes:  # its steps checked for the nodes this run will have
        try:
            load(args.file, kind=args.kind, nodes=args.nodes)
        except FakenetError as exc:
            raise UsageError(f"fake: --nodes {args.nodes}: {exc}") from None
    if args.report is not None:  # a run's evidence must not be lost to a folder found unwritable at the end
        # Absolute: a failed run packs it as DIR.tar.gz beside it, and `--report .` had no name for that
        # (a traceback once the run had failed).
        args.report = Path(os.path.abspath(args.report))
        if args.report.is_dir():  # new or empty, as dump's: an older bundle there was packed with the new one
            _empty_folder(args.report, "--report")
        args.report = _writable_folder(args.report, "--report")
    if args.trace is not None:
        _new_file(args.trace, "--trace")
    if args.placement:  # the hosts backend reads it (scenario files and the runner stay unchanged)
        os.environ["FAKENET_PLACEMENT"] = args.placement
    options = {"trace": args.trace} if args.trace else {}
    options.update(hosts_options)
    from fakenet.scenario.console import run_with_progress  # after the checks: a refusal needs none of it

    result = run_with_progress(scenario, args.backend, nodes=args.nodes, seed=args.seed, kind=args.kind,
                               report_dir=args.report, keep=args.keep, **options)
    return 0 if result.ok else 1


def _runs_on(kind: str, backend: str) -> None:
    """A kind on a backend it cannot run on, refused with the arguments: the backend refused it only as the
    network started, after the run's console, report and work directory were made."""
    if refusal := kinds.get(kind).refusal_on(backend, BACKENDS):
        raise UsageError(f"fake: {refusal}")


def _hosts_options(args) -> dict:
    """The hosts backend's options from their flags; refused before any work with another backend."""
    from fakenet.harness.backends import hosts_flags

    given = {key: getattr(args, key) for key in hosts_flags.FLAGS}
    placed = {**given, "placement": args.placement}
    if args.backend != "hosts" and any(value is not None for value in placed.values()):
        flags = [f"--{key.replace('_', '-')}" for key, value in placed.items() if value is not None]
        raise UsageError(f"fake: {', '.join(flags)} only go{'es' if len(flags) == 1 else ''} with --backend hosts, "
                         f"not --backend {args.backend}")
    options = hosts_flags.options(given)
    if args.placement or options.get("hosts"):  # hosts named must exist before the file is loaded or any is dialled
        from fakenet import host_registry
        from fakenet.harness.backends.hosts import check_placement, parse_placement

        known = host_registry.resolve(options.get("hosts"))
        if args.placement:
            check_placement(parse_placement(args.placement), known)
    return options


def cmd_scenario_check(args, extra: list[str]) -> int:
    """Load scenario files and report errors (file:line, step, what was expected), without running them."""
    from fakenet.scenario import load

    failed = 0
    for path in args.files:  # every file, as a linter does: `check scenarios/*.yaml` stopped at the first error
        try:
            scenario = load(path, kind=args.kind)
        except FakenetError as exc:
            print(f"fake: {exc}", file=sys.stderr)
            failed += 1
            continue
        if refusal := _backend_refusal(scenario, args.backend):
            print(f"fake: {path}: {refusal}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: ok ({len(scenario.steps)} steps)")
    return 1 if failed else 0


def _backend_refusal(scenario, backend: str | None) -> str | None:
    """Why a kind of the scenario cannot run on `backend`, or (none given) on any backend the scenario names."""
    for kind in map(kinds.get, scenario.kinds):
        if backend is not None and (refusal := kind.refusal_on(backend, BACKENDS)):
            return refusal
        if backend is None and not any(kind.runs_on(name) for name in scenario.backends):
            able = [name for name in BACKENDS if kind.runs_on(name)]
            return (f"node kind {kind.name!r} runs on none of the scenario's backends ({', '.join(scenario.backends)}); "
                    f"it runs on {', '.join(able) or 'no backend here'}")
    return None


def cmd_bench(args, extra: list[str]) -> int:
    """Measure start-up, recovery, streams and footprint (see BENCHMARKS.md; `fake bench --help`)."""
    import contextlib
    import io

    from fakenet.bench.command import main as bench_main, parse

    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):  # bench's own parser: its usage lines become fake's one line
            options = parse(extra)
    except SystemExit as exit:
        if exit.code == 0:  # --help
            return 0
        error = said.getvalue().strip().splitlines()[-1].replace("fake bench: error: ", "")
        raise UsageError(f"fake bench: {error} (see fake bench --help)") from None
    if options.json is not None:  # written after up to 50 minutes of measuring: checked before
        _new_file(options.json, "--json")
    if options.markdown is not None:  # bench makes its folder
        _future_folder(options.markdown.parent, "--markdown")
        if options.markdown.is_dir():
            raise UsageError(f"fake: --markdown {options.markdown}: is a directory")
    return bench_main(extra)


def cmd_soak(args, extra: list[str]) -> int:
    """Model-based test of the oracle: random topologies and random fault and stream steps, the model
    compared with the network after every step; exits 1 on the first disagreement and writes it as a
    scenario file (shrunk unless --no-shrink) that `fake scenario run` replays."""
    from fakenet.soak.command import main as soak_main

    if args.min_nodes > args.max_nodes:
        raise UsageError(f"fake soak: --min-nodes {args.min_nodes} is more than --max-nodes {args.max_nodes}")
    if args.mutants is None:  # a counterexample is written at the end of a long run: its folder must be usable
        _future_folder(args.out, "--out")
    return soak_main(args)


def cmd_fuzz(args, extra: list[str]) -> int:
    """Hammer a fresh local node's JSON-RPC and swarm ports with seeded hostile inputs for N seconds;
    print inputs per surface, errors by class and crashes; exit 1 on a crash."""
    from fakenet.fuzz import run

    return run(args.seconds, args.seed)


def cmd_fidelity(args, extra: list[str]) -> int:
    """Send the same RPC calls to fakenet nodes and to Litecoin Core (Debian's litecoind) and write the
    comparison, row by row (same / differs, and why / missing), to FIDELITY.md or --out FILE."""
    from fakenet.fidelity import run

    _new_file(args.out, "--out")  # before starting four nodes whose comparison would be lost
    return run(args.out)


def cmd_test(args, extra: list[str]) -> int:
    """Run the test suite with pytest-xdist (-n 4 unless given); other arguments go to pytest.

    Four workers on two cores: many items wait on nodes and the engine, not on the CPU (1,399 items:
    10 min 18 s at -n 2, 8 min 18 s and 8 min 36 s at -n 4, 2026-12-06; at -n 4 both cores are
    busy throughout). Items go out one or two at a time in collection order, so the longest,
    collected first (tests/support/long_first.py), spread over the workers instead of queueing on
    one (xdist's default hands each worker a quarter of its share at once); the items that share a
    module-scoped fixture go out together, so it is made once (tests/support/shared_fixtures.py)."""
    workers = [] if any(a.startswith("-n") for a in extra) else ["-n", os.environ.get("FAKENET_TEST_WORKERS", "4")]
    chunks = [] if any(a.startswith(("--dist", "--maxschedchunk")) for a in extra) else \
        ["--dist", "loadgroup", "--no-loadscope-reorder"]
    return subprocess.call([sys.executable, "-m", "pytest", *workers, *chunks, *extra], cwd=compose.REPO)


def _help(function) -> str:
    return " ".join((function.__doc__ or "").split())


def _summary(function) -> str:
    """The docstring's first paragraph, for `fake --help`'s list of verbs: the rest is for `fake VERB --help`
    and for whoever reads the code (`test`'s timings and scheduling filled 20 lines of the list)."""
    return " ".join((function.__doc__ or "").split("\n\n")[0].split())


class _KindNames(Sequence):
    """kinds.names() as argparse's choices, read when first looked at: each read scans every installed
    distribution's entry points (~4 ms of CPU), three --kind options built it at every command's start,
    and only `scenario` and `export` look (issue 28). Those options name a metavar: argparse formats
    an option as it is added, which would list the choices."""

    @functools.cached_property
    def _names(self) -> list[str]:
        return kinds.names()

    def __getitem__(self, index):
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)


def parser() -> Parser:
    top = Parser(prog="fake", allow_abbrev=False, description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("-p", "--project", "--project-name", type=_project_name,
                     default=os.environ.get("FAKENET_PROJECT", compose.DEFAULT_PROJECT),  # checked in main()
                     help="the network to act on (default FAKENET_PROJECT or fakenet); several run side by side")
    verbs = top.add_subparsers(dest="verb", metavar="COMMAND", parser_class=Parser)
    kind_names = _KindNames()

    def verb(name, function, passthrough=False, parent=verbs, own_help=True):
        sub = parent.add_parser(name, help=_summary(function), description=_help(function), allow_abbrev=False,
                                add_help=own_help and not passthrough)
        if own_help and passthrough:
            sub.add_argument("-h", "--help", action=_HelpWithComposes, help="show this help and compose's options")
        sub.set_defaults(function=function, passthrough=passthrough)
        return sub

    up = verb("up", cmd_up, passthrough=True)
    up.add_argument("-d", "--detach", action="store_true", help="start in the background and print the table")
    up.add_argument("--nodes", type=_up_count, help="how many nodes (default 4, or FAKENET_NODES)")
    up.add_argument("--kind", choices=sorted(compose.FILES),
                    help="node kind (default: the project's own, else fakenet; litecoin: Litecoin Core regtest)")
    verb("status", cmd_status)
    down = verb("down", cmd_down, passthrough=True)
    down.add_argument("-v", "--volumes", action="store_true", help="remove the volumes too: fresh state next time")
    verb("prune", cmd_prune)
    graph = verb("graph", cmd_graph)
    graph.add_argument("--png", type=Path, metavar="FILE", help="draw the graph into a PNG file")
    dump = verb("dump", cmd_dump)
    dump.add_argument("dir", nargs="?", type=Path, metavar="DIR")
    scenario = verbs.add_parser("scenario", help="Run or check scenario files (`fake scenario run --help`).").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=Parser)
    run = verb("run", cmd_scenario_run, parent=scenario)
    run.add_argument("file", type=Path)
    run.add_argument("--backend", choices=BACKENDS, help="default local, or FAKENET_BACKEND")
    run.add_argument("--kind", choices=kind_names, metavar="KIND",
                     help="node kind: %(choices)s (default: the scenario's first)")
    run.add_argument("--nodes", type=_run_count, help="run with this many nodes instead of the scenario's `nodes:`")
    run.add_argument("--seed", type=_seed, help="instead of the scenario's `seed:` (the same seed replays a run)")
    run.add_argument("--report", type=Path, metavar="DIR",
                     help="write the report, JUnit XML and (on failure) the evidence bundle here, packed as DIR.tar.gz")
    run.add_argument("--keep", action="store_true", help="leave the network up if a step fails")
    run.add_argument("--placement", type=_placement, metavar="NODE=HOST,…",
                     help="hosts backend: put these nodes on these hosts (the rest round-robin)")
    run.add_argument("--hosts", type=_hosts_flag("hosts"), metavar="NAME|URL,…",
                     help="hosts backend: the hosts of this run (default: every host of `fake hosts ls`)")
    run.add_argument("--reach", type=_hosts_flag("reach"), metavar="HOST=ADDRESS,…",
                     help="hosts backend: where the harness reaches a host's published ports (an engine in a "
                          "container: its address, not the URL's host name)")
    run.add_argument("--advertise", type=_hosts_flag("advertise"), metavar="ADDRESS",
                     help="hosts backend: this machine's address as the other engines reach it (swarm manager)")
    run.add_argument("--overlay-encryption", type=_hosts_flag("overlay_encryption"), metavar="auto|on|off",
                     help="hosts backend: encrypt the overlay (auto: where every engine can)")
    run.add_argument("--trace", type=Path, metavar="FILE",
                     help="sim backend: write the run's event trace here (the same seed writes the same bytes)")
    check = verb("check", cmd_scenario_check, parent=scenario)
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--kind", choices=kind_names, metavar="KIND", help="check against this node kind: %(choices)s")
    check.add_argument("--backend", choices=BACKENDS, help="check that the kinds run on this backend (default: on one "
                                                          "the scenario names)")
    export = verb("export", cmd_export)
    export.add_argument("--stack", type=Path, required=True, metavar="FILE", help="the stack file to write")
    export.add_argument("--nodes", type=_run_count, default=4, help="task slots (default 4)")
    export.add_argument("--kind", choices=kind_names, default="fakenet", metavar="KIND",
                        help="node kind: %(choices)s (default fakenet)")
    hosts = verbs.add_parser("hosts", help="Docker hosts for the hosts backend: add, ls, rm.").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=Parser)
    add = verb("add", cmd_hosts_add, parent=hosts)
    add.add_argument("url", help="engine URL, e.g. ssh://user@h2")
    add.add_argument("--name", help="what placement calls it (default h1, h2, …)")
    add.add_argument("--reach", type=_reach_address, metavar="ADDRESS",
                     help="where the harness reaches its published ports, if not at the URL's host name")
    verb("ls", cmd_hosts_ls, parent=hosts)
    verb("rm", cmd_hosts_rm, parent=hosts).add_argument("name")
    soak = verb("soak", cmd_soak)
    soak.add_argument("--seed", type=_seed, default=0, help="first seed (each run takes the next)")
    soak.add_argument("--steps", type=_count, default=40, help="steps per run")
    soak.add_argument("--runs", type=_count, default=1, help="runs, one seed each (0: until --seconds)")
    soak.add_argument("--seconds", type=_duration, help="stop starting new runs after this long")
    soak.add_argument("--backend", choices=BACKENDS, default="local")
    soak.add_argument("--min-nodes", type=_run_count, default=4)
    soak.add_argument("--max-nodes", type=_run_count, default=12)
    soak.add_argument("--out", type=Path, default=Path("soak-failures"), metavar="DIR",
                      help="where counterexamples go as scenario files")
    soak.add_argument("--no-shrink", action="store_true", help="keep the counterexample as found")
    soak.add_argument("--mutants", nargs="*", metavar="NAME", help="instead: soak each planted model bug "
                      "(all, or these) on sim with CI's seeds and report how many the soak kills")
    soak.add_argument("--jobs", type=_jobs, default=1, help="--mutants: soak this many at once")
    fuzz = verb("fuzz", cmd_fuzz)
    fuzz.add_argument("--seconds", type=_duration, default=60.0)
    fuzz.add_argument("--seed", type=_seed, default=0)
    fidelity = verb("fidelity", cmd_fidelity)
    fidelity.add_argument("--out", type=Path, default=compose.REPO / "FIDELITY.md", metavar="FILE")
    verb("bench", cmd_bench, passthrough=True, own_help=False)  # bench's own parser has the help
    verb("test", cmd_test, passthrough=True, own_help=False)  # pytest's --help
    return top


def _is_own_verb(argv: list[str], own: set[str]) -> bool:
    """Compose verbs pass through: find the first word after the global options."""
    rest = list(argv)
    while rest and rest[0] in ("-p", "--project", "--project-name"):
        rest = rest[2:]
    while rest and rest[0].startswith(("--project=", "--project-name=")):
        rest = rest[1:]
    return not rest or rest[0].startswith("-") or rest[0] in own or rest[0] not in COMPOSE_VERBS


def _unknown_verb(top: Parser, own: set[str], argv: list[str]) -> None:
    """A word that is neither fakenet's verb nor Compose's: one line, with the nearest of either."""
    project, rest = _project_and_rest(argv)
    at = next((index for index, word in enumerate(rest) if word in own | COMPOSE_VERBS), None)
    if at and rest[0] not in ("-h", "--help"):  # `fake --nodes 8 up -d` said "unknown command '8'"
        again = " ".join([invocation.command(project), *rest[at:], *rest[:at]])
        raise UsageError(f"fake: {rest[0]} is an option of a command, not of fake itself: {again}")
    word = next((w for w in rest if not w.startswith("-")), None)
    if word is not None and word not in own:
        if word in NODE_COMMANDS:  # README's `./fake exec node cli -getinfo`, typed the short way; `cli` is
            # what every kind's node has (a fakenet node has no bitcoin-cli), and -p is kept for the copy
            raise UsageError(f"fake: {word} runs inside a node: {invocation.command(project)} exec node cli "
                             f"{' '.join(rest[rest.index(word) + 1:])}".rstrip())
        raise UsageError(f"fake: unknown command {word!r}{did_you_mean(word, own | COMPOSE_VERBS)} "
                         f"(see fake --help)")


PROJECT_OPTIONS = ("-p", "--project", "--project-name")


def _check_project_before_the_command(argv: list[str]) -> None:
    """`fake up -d -p demo`: -p is fake's own option, before the command; after it, compose's parser or
    the verb's said `unknown shorthand flag: 'p' in -p` or `unrecognized arguments: -p demo`. Not for
    `exec` and `run`, whose words past the service are the command's (and run's -p is --publish), nor
    `test` and `bench`, whose words are pytest's (`-p no:randomly`) or bench's."""
    project, rest = _project_and_rest(argv)
    if not rest or rest[0] in ("exec", "run", "test", "bench"):
        return
    words = compose_options.own_words(rest) if rest[0] in COMPOSE_VERBS else rest[1:]
    at = next((i for i, w in enumerate(words) if w in PROJECT_OPTIONS or w.startswith(("--project=", "--project-name="))),
              None)
    if at is None:
        return
    option, _, named = words[at].partition("=")
    named, taken = (named, 1) if named else ((words[at + 1], 2) if at + 1 < len(words) else ("NAME", 1))
    kept = [w for i, w in enumerate(rest[1:]) if not at <= i < at + taken]
    again = " ".join([invocation.command(named), rest[0], *kept])
    raise UsageError(f"fake: {option} goes before the command: {again}")


def _project_and_rest(argv: list[str]) -> tuple[str, list[str]]:
    project = os.environ.get("FAKENET_PROJECT", compose.DEFAULT_PROJECT)
    rest = list(argv)
    while rest and (rest[0] in ("-p", "--project", "--project-name") or rest[0].startswith("--project")):
        if "=" in rest[0]:
            project, rest = rest[0].split("=", 1)[1], rest[1:]
            continue
        if len(rest) < 2:
            raise UsageError(f"fake: {rest[0]} needs a project name")
        project, rest = rest[1], rest[2:]
    return project, rest


# Compose verbs whose every word but options (and these options' values) is a service name.
SERVICE_LIST_VERBS = {"logs": {"--since", "--until", "-n", "--tail", "--index"}, "stop": {"-t", "--timeout"},
                      "restart": {"-t", "--timeout"}, "kill": {"-s", "--signal"}, "start": set(), "pause": set(),
                      "unpause": set(), "top": set(), "rm": set()}


def _named_services(args: list[str]) -> list[str]:
    """Every service the verb names: exec's and run's one, or the list of logs, stop, restart and the like."""
    values = SERVICE_LIST_VERBS.get(args[0])
    if values is None:
        named = _named_service(args)
        return [] if named is None else [named]
    names, words = [], iter(args[1:])
    for word in words:
        if word in values:
            next(words, None)
        elif not word.startswith("-"):
            names.append(word)
    return names


def _no_such_node(project: str, named: str, services: list[str]) -> str:
    return (f"fake: project {project!r} has no node named {named!r}{did_you_mean(named, services)}; "
            f"its nodes: {', '.join(sorted(services, key=natural))}")


def _named_service(args: list[str]) -> str | None:
    found = compose_options.service_at(args)
    return None if found is None else args[found]


def _check_exec_names_a_command(project: str, args: list[str]) -> None:
    """`fake exec` or `fake exec node` runs nothing: compose's answer, `requires at least 2 arg(s), only
    received 0`, named neither what was missing nor the nodes there are."""
    if args[0] != "exec" or {"-h", "--help"} & set(args):
        return
    found = compose_options.service_at(args)
    if found is not None and found + 1 < len(args):
        return
    nodes = sorted(compose.service_names(project), key=natural)
    listed = f" (nodes: {', '.join(nodes)})" if nodes else ""
    raise UsageError(f"fake exec: name a node and a command to run in it, e.g. {invocation.command(project)} exec "
                     f"{nodes[0] if nodes else 'node'} cli -getinfo{listed}")


# The RPC clients a user may name for a node's `cli` (README: "bitcoin-cli -getinfo, plus …"), by the kinds
# whose nodes do have them (the litecoin image has litecoin-cli, which `cli` runs with the node's conf).
CLI_LOOKALIKES = {"bitcoin-cli": set(), "litecoin-cli": {"litecoin"}}


def _check_exec_runs_the_nodes_cli(project: str, args: list[str]) -> None:
    """`fake exec node bitcoin-cli -getinfo`: the engine's `OCI runtime exec failed: … exec: "bitcoin-cli":
    executable file not found in $PATH` with exit 126, as if the node were broken."""
    found = compose_options.service_at(args) if args[0] == "exec" else None
    if found is None or found + 1 >= len(args) or args[found + 1] not in CLI_LOOKALIKES:
        return
    word = args[found + 1]
    if compose.kind_of(project) in CLI_LOOKALIKES[word]:
        return
    again = " ".join([invocation.command(project), *args[:found + 1], "cli", *args[found + 2:]])
    raise UsageError(f"fake exec: nodes have no {word}; their RPC client is cli, with bitcoin-cli's conventions: {again}")


# Compose verbs that read a running project. On one with no containers, compose's `logs` and `top` printed
# nothing and exited 0, and `exec` said `service "node" is not running`, which reads as a crashed node.
READS_RUNNING = {"logs", "exec", "top", "port", "attach"}
SILENT_ON_NOTHING = {"logs", "top"}
# Verbs that only read a project: one never up (no `up` wrote its override, no containers) is said in one line
# before compose runs, which wrote its own `service "node" is not running` first, or an empty `ps` table.
READS_PROJECT = READS_RUNNING | {"ps"}
# Compose verbs that act on a project's containers: on one never up, `fake start` (read as "start the network")
# said `service "node4" has no container to start`, and stop, pause or kill nothing with exit 0.
ACTS_ON_CONTAINERS = {"start", "stop", "restart", "pause", "unpause", "kill"}


def _never_up(project: str) -> bool:
    """No `up` of this project is on record here and none of its containers exist (the override file is
    looked at first: a project that is up has one, and is not asked the engine about)."""
    return not compose.override_path(project).exists() and not _has_containers(project)


def _has_containers(project: str) -> bool:
    from fakenet import netstatus

    return bool(netstatus.containers(_engine(), project))


def _not_running(project: str) -> str:
    """A project with no containers, said with the fakenet projects that do run: `./fake status` after
    `./fake -p demo up -d` (or a mistyped -p) pointed only at starting another network."""
    return f"no network {project!r} is running (start one with {invocation.command(project)} up -d){_running_others(project)}"


def _running_others(project: str) -> str:
    """"; running: a, b" for the fakenet projects other than `project` that run ("" where none does)."""
    # ignore_removed: another project's container removed between the listing and its inspect (a test
    # run's teardown, a `down` in another shell) is not running, and must not end the line in a traceback.
    found = _engine().containers.list(filters={"label": [PROJECT_LABEL_COMPOSE, "io.fakenet.project"]},
                                      ignore_removed=True)
    running = sorted({c.labels[PROJECT_LABEL_COMPOSE] for c in found} - {project})
    return f"; running: {', '.join(running)}" if running else ""


def _check_compose_options(project: str, args: list[str]) -> None:
    """Options Compose refuses, refused as fakenet's line naming the verb and where its options are listed
    (compose_options), before anything runs: `up` before a build that can take a minute."""
    if refused := compose_options.refused(compose.compose_binary(), args):
        raise UsageError(f"fake {args[0]}: {refused} (its options: {invocation.command(project)} {args[0]} --help)")


def passthrough(project: str, args: list[str]) -> int:
    if compose_options.asks_help(args):  # Compose's help needs no network (it said none was running)
        return compose.run(project, args).returncode
    _check_compose_options(project, args)
    _refuse_run(project, args)
    if args[0] in READS_PROJECT | ACTS_ON_CONTAINERS and _never_up(project):
        print(f"fake: {_not_running(project)}", file=sys.stderr)
        return 1
    _check_exec_names_a_command(project, args)
    _check_exec_runs_the_nodes_cli(project, args)
    recorded = compose.recorded_services(project)
    if unknown := [name for name in _named_services(args) if recorded and name not in recorded]:
        # Said before compose runs: it answered `service "nodee" is not running` (read as a crash) or
        # `no such service: nodee`, with no nearest name
        print(_no_such_node(project, unknown[0], recorded), file=sys.stderr)
        return 1
    if args[0] == "exec" and (refused := _exec_refusal(project, args, recorded)):
        print(refused, file=sys.stderr)
        return 1
    if args[0] == "pause":  # compose's own pause failed at once where runc's freezer lost a race (engine_pause)
        return _pause(project, args)
    if args[0] == "exec" and not sys.stdin.isatty() and "-T" not in args:
        args = ["exec", "-T", *args[1:]]
    if compose.makes_containers(args):  # `run`, `create`: the node image, not the placeholder compose pulled
        code = compose.run(project, args, image=_node_image(project)).returncode
    else:
        code = compose.run(project, args).returncode
    named = _named_service(args)
    if code != 0 and named is not None:
        services = compose.service_names(project)
        if services and named not in services:  # compose says "not running", which reads as a crash
            print(_no_such_node(project, named, services), file=sys.stderr)
            return code
    # Asked once compose is done, so a command that worked waited for nothing more (`logs` excepted).
    if args[0] in READS_RUNNING and (code != 0 or args[0] in SILENT_ON_NOTHING) and not _has_containers(project):
        print(f"fake: {_not_running(project)}", file=sys.stderr)
        return 1
    return code


def _pause(project: str, args: list[str]) -> int:
    """`fake pause [NODE...]` as compose's pause does it (each running node of the project, or of those named,
    paused at once; a line for each), each pause through engine_pause.freeze: compose's failed at once with
    the engine's `OCI runtime pause failed: unable to freeze` where runc's cgroup v1 freezer lost a race with
    an exec (the nodes' health check's every 10 s), and left the node running."""
    from concurrent.futures import ThreadPoolExecutor

    from fakenet import engine_pause
    from fakenet.errors import ContainerError
    from fakenet.labels import COMPOSE_ONEOFF_LABEL, COMPOSE_SERVICE_LABEL

    client = _engine()
    named = set(_named_services(args))
    running = [((container.attrs.get("Labels") or {}).get(COMPOSE_SERVICE_LABEL), container.attrs)
               for container in client.containers.list(sparse=True, filters={
                   "label": [f"{PROJECT_LABEL_COMPOSE}={project}", f"{COMPOSE_ONEOFF_LABEL}=False"]})]
    chosen = [(service, attrs) for service, attrs in running if not named or service in named]
    if missing := named - {service for service, _attrs in running}:
        print(f"fake pause: {', '.join(sorted(missing, key=natural))} of project {project!r} "
              f"{'is' if len(missing) == 1 else 'are'} not running (nothing to pause)", file=sys.stderr)
        return 1
    if not chosen:  # every node stopped: compose's pause said nothing and exited 0
        print(f"fake pause: no node of project {project!r} is running (nothing to pause)", file=sys.stderr)
        return 1

    def pause(chosen_one: tuple[str, dict]) -> str | None:
        service, attrs = chosen_one
        name = ((attrs.get("Names") or [""])[0].lstrip("/")) or attrs["Id"][:12]
        try:
            engine_pause.freeze(lambda: client.api.pause(attrs["Id"]), name, node=service)
        except ContainerError as exc:
            return f"fake pause: {exc}"
        except Exception as exc:
            said = engine_pause.explanation(exc)
            if said is None:
                raise
            return f"fake pause: {name}: {said}"  # the engine's refusal (already paused, not running), in a line
        print(f" Container {name} Paused", file=sys.stderr)
        return None

    with ThreadPoolExecutor(min(16, len(chosen))) as pool:
        failures = [failure for failure in pool.map(pause, chosen) if failure]
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def _refuse_run(project: str, args: list[str]) -> None:
    """`fake run node …`: a one-off copy of a node would take its fixed address (the engine's `Address already
    in use`) and its data volume; it never ran (compose was given no image and tried Docker Hub)."""
    if args[0] != "run":
        return
    node = compose_options.service_at(args)
    rest = args[node:] if node is not None else ["node", "cli", "-getinfo"]
    raise UsageError(f"fake run: a one-off copy of a node would take the node's own address and data; run a "
                     f"command in the node instead: {invocation.command(project)} exec {' '.join(rest)}")


def _node_image(project: str) -> str:
    """The project's kind's node image, built as `up` builds it where this checkout's is not yet: `fake run
    node …` and `fake create` gave compose the tag of no image, which it tried to pull from Docker Hub."""
    kind = kinds.get(compose.kind_of(project))
    return kind.present_image(engine_reads.answering(_docker)) or \
        kind.image(lambda line: print(f"build| {line}", file=sys.stderr), _docker())


def _exec_refusal(project: str, args: list[str], recorded: list[str]) -> str | None:
    """One line where exec's node is stopped, paused or removed (compose's answer said neither how nor what next)."""
    from fakenet import exec_refusal

    named = _named_service(args)
    return None if named is None else exec_refusal.refusal(_engine(), project, named,
                                                           invocation.command(project), named in recorded)


def _interrupted(message: str):
    """Ctrl-C on one of fakenet's own verbs: say so at once (closing a network can take a while, and a
    silent minute reads as a hang), then unwind as Python would; a second Ctrl-C is Python's own."""
    def handler(signum, frame):
        print(message, file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt
    return handler


def _interrupted_message(args) -> str:
    """`up` keeps what it made (nodes started as compose creates them; an `up` may add nodes to a running
    network, whose state a removal would lose): it says so and how to remove it, not that it cleans up."""
    fake = invocation.command(args.project)
    if args.verb == "up" and not args.detach:  # attached, compose stops the nodes on Ctrl-C, as docker compose up does
        return (f"fake: interrupted; compose stops the nodes, which keep their state ({fake} up -d "
                f"starts them again, {fake} down -v removes them)")
    if args.verb == "up":
        return f"fake: interrupted; the nodes up started so far stay ({fake} down -v removes them)"
    return "fake: interrupted; cleaning up what this command started before exiting"


def _run_verb(args, extra: list[str]) -> int:
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        return args.function(args, extra)
    previous = signal.signal(signal.SIGINT, _interrupted(_interrupted_message(args)))
    try:
        return args.function(args, extra)
    finally:
        signal.signal(signal.SIGINT, previous)


_OWN_PREFIX = re.compile(r"fake( [a-z][a-z-]*)*: ")  # "fake: …", "fake graph: …", "fake scenario run: …"


def _help_verb(top, own: set[str], project: list[str], words: list[str]) -> int:
    """`fake help` is `fake --help`; `fake help VERB [SUB]` is `fake VERB [SUB] --help`, compose's verbs
    included (`fake help logs`: compose's help of logs). `project`: the -p options typed before help."""
    words = [word for word in words if word not in ("-h", "--help")]
    if not words:
        top.print_help()
        return 0
    if words[0] not in own | COMPOSE_VERBS:
        raise UsageError(f"fake help: no command {words[0]!r}{did_you_mean(words[0], own | COMPOSE_VERBS)} "
                         f"(see fake --help)")
    return main([*project, *words, "--help"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        top = parser()
        own = set(top._subparsers._group_actions[0].choices)
        _, after_project = _project_and_rest(argv)
        if after_project[:1] == ["help"]:  # git's and docker's `help [VERB]`, a new user's first guess
            return _help_verb(top, own, argv[:len(argv) - len(after_project)], after_project[1:])
        _check_project_before_the_command(argv)
        if not _is_own_verb(argv, own):
            project, rest = _project_and_rest(argv)
            return passthrough(_project_name(project), rest)
        _unknown_verb(top, own, argv)
        args, extra = top.parse_known_args(argv)
        if args.verb is None:
            if extra:  # `fake --bogus` printed the help and exited 0, as if the option meant something
                raise UsageError(f"fake: unrecognized arguments: {' '.join(extra)} (see fake --help)")
            top.print_help()
            return 0
        _project_name(args.project)  # FAKENET_PROJECT's value too, which argparse does not check
        if extra and not args.passthrough:
            raise UsageError(f"fake {args.verb}: unrecognized arguments: {' '.join(extra)}")
        return _run_verb(args, extra)
    except FakenetError as exc:
        # Said once: our messages begin "fake: " or "fake VERB: "; a file named fake* ("fake:5: not valid
        # YAML") is not that prefix.
        print(str(exc) if _OWN_PREFIX.match(str(exc)) else f"fake: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `fake up --help | head -1`: the reader left; nothing to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 141  # as a program killed by SIGPIPE
    except OSError as exc:  # a path or a permission the user gave: theirs to fix, said in one line
        print(f"fake: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:
        import traceback  # only for a bug: ~3 ms of CPU (linecache, tokenize) on every start otherwise

        traceback.print_exc()
        return 2
