"""The node code's host copy and its read-only binds (fakenet/code_mounts.py), against a scripted engine."""

import io
import ipaddress
import shutil
import socket
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakenet import code_mounts, compose, engine_reads
from fakenet.errors import FakenetError

PYVENV = b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n"


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Engine:
    """What copy_of asks: a container created from the image (the copy's folder bound in, where this
    engine's host has it: `sees`), the token read back through that bind, two archives, the removal."""

    def __init__(self, archives: dict[str, bytes], driver="fuse-overlayfs", name=None, url="http+docker://localhost",
                 sees=True):
        self.calls, self.archives, self.sees, self.bound = [], archives, sees, {}
        self.info_ = {"Driver": driver, "Name": name or socket.gethostname(), "OperatingSystem": "Debian"}
        self.mounts: dict[str, list[str]] = {}  # container name -> the sources of its mounts (running)
        self.api = SimpleNamespace(base_url=url, create_container=self.create, get_archive=self.get_archive,
                                   remove_container=self.remove, containers=self.containers,
                                   create_host_config=lambda mounts: {"Mounts": mounts})

    def info(self):
        return self.info_

    def create(self, image, command, labels, host_config=None):
        import docker.errors

        mounts = (host_config or {}).get("Mounts", [])
        if mounts and not self.sees:
            raise docker.errors.APIError(f"invalid mount config for type \"bind\": bind source path does not exist: "
                                         f"{mounts[0]['Source']}")
        self.bound = {mount["Target"]: mount["Source"] for mount in mounts}
        self.calls.append(("create", image, labels["io.fakenet.project"]) + (("bound",) if mounts else ()))
        return {"Id": "c1"}

    def get_archive(self, container, path):
        self.calls.append(("archive", path))
        target = next((t for t in self.bound if path.startswith(t + "/")), None)
        if target is not None:  # read through the bind, as the engine's host has the file
            name = path[len(target) + 1:]
            data = tar_of({name: (Path(self.bound[target]) / name).read_bytes()})
        else:
            data = self.archives[path]
        return (data[i:i + 100] for i in range(0, len(data), 100)), {}  # streamed in small chunks

    def remove(self, container, v, force):
        self.calls.append(("remove", container))

    def containers(self, all):
        return [{"Names": [f"/{name}"], "State": "running", "Mounts": [{"Type": "bind", "Source": source} for source in sources]}
                for name, sources in self.mounts.items()]


ARCHIVES = {"/opt/fakenet": tar_of({"fakenet/pyvenv.cfg": PYVENV, "fakenet/lib/m.py": b"x = 1\n"}),
            "/usr/lib/python3.11": tar_of({"python3.11/os.py": b"# os\n"})}


def test_the_stdlib_is_found_from_the_venvs_interpreter_home():
    assert code_mounts.stdlib_of(PYVENV.decode()) == "/usr/lib/python3.11"  # the bootstrapped Debian base
    assert code_mounts.stdlib_of("home = /usr/local/bin\nversion = 3.11.9\n") == "/usr/local/lib/python3.11"  # slim


def test_the_copy_is_taken_once_from_a_labelled_container_that_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    engine = Engine(ARCHIVES)
    paths = code_mounts.copy_of(engine, "sha256:0123456789abcdef0123")
    folder = tmp_path / "code" / "0123456789abcdef"
    assert paths == {"/opt/fakenet": str(folder / "fakenet"), "/usr/lib/python3.11": str(folder / "python3.11")}
    assert (folder / "fakenet" / "lib" / "m.py").read_bytes() == b"x = 1\n"
    assert (folder / "python3.11" / "os.py").exists()
    assert engine.calls == [("create", "sha256:0123456789abcdef0123", "fakenet-code", "bound"),
                            ("archive", "/fakenet-copy/.engine-sees"), ("archive", "/opt/fakenet"),
                            ("archive", "/usr/lib/python3.11"), ("remove", "c1")]
    engine.calls.clear()
    assert code_mounts.copy_of(engine, "sha256:0123456789abcdef0123") == paths
    assert engine.calls == [], "a finished copy is used as it is"


def test_a_copy_cut_short_is_not_used_and_its_container_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    engine = Engine({"/opt/fakenet": ARCHIVES["/opt/fakenet"]})  # no stdlib archive: the engine fails
    with pytest.raises(KeyError):
        code_mounts.copy_of(engine, "sha256:feedfeedfeedfeedfeed")
    assert engine.calls[-1] == ("remove", "c1")
    assert not (tmp_path / "code" / "feedfeedfeedfeed" / code_mounts.INDEX).exists()
    engine.archives = ARCHIVES
    assert set(code_mounts.copy_of(engine, "sha256:feedfeedfeedfeedfeed")) == set(ARCHIVES), "taken again"


@pytest.mark.parametrize("change, shares", [
    ({}, True),
    ({"driver": "overlay2"}, False),  # kernel overlayfs: no FUSE process to spare
    ({"name": "another-host"}, False),  # a client in a container, or the engine elsewhere: our paths are not its
    ({"url": "http://127.0.0.1:2375"}, False),
])
def test_binds_only_where_the_engine_is_fuse_overlayfs_on_this_host(change, shares, monkeypatch):
    monkeypatch.delenv(code_mounts.SWITCH, raising=False)
    assert code_mounts.engine_shares_host(engine_reads.of(Engine(ARCHIVES, **change))) is shares


def test_the_switch_turns_binds_off(monkeypatch):
    monkeypatch.setenv(code_mounts.SWITCH, "0")
    assert code_mounts.engine_shares_host(engine_reads.of(Engine(ARCHIVES))) is False


def test_compose_nodes_bind_the_code_read_only_and_keep_their_data_volume():
    code = {"/opt/fakenet": "/cache/code/x/fakenet"}
    doc = compose.override_document(5, "fakenet", ipaddress.ip_network("10.233.7.0/24"), code)
    bind = {"type": "bind", "source": "/cache/code/x/fakenet", "target": "/opt/fakenet", "read_only": True,
            "bind": {"create_host_path": False}}  # a missing copy fails the start, never an empty /opt/fakenet
    assert doc["services"]["node"]["volumes"] == [bind]
    assert doc["services"]["node5"]["volumes"] == ["node5-data:/data", bind]
    assert all("volumes" not in s for s in compose.override_document(5, "fakenet", ipaddress.ip_network(
        "10.233.7.0/24"))["services"].values() if "extends" not in s)


def test_prune_drops_the_copies_of_images_that_are_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    for name in ("0123456789abcdef", "feedfeedfeedfeed"):
        (tmp_path / "code" / name).mkdir(parents=True)
    images = SimpleNamespace(list=lambda filters: [SimpleNamespace(id="sha256:0123456789abcdef0123")])
    engine = SimpleNamespace(images=images, api=SimpleNamespace(containers=lambda all: []))
    assert code_mounts.prune(engine) == (["feedfeedfeedfeed"], {})
    assert sorted(p.name for p in (tmp_path / "code").iterdir() if p.is_dir()) == ["0123456789abcdef"]


@pytest.mark.parametrize("damage", ["empty index", "truncated index", "folder gone"])
def test_a_copy_whose_index_does_not_read_or_names_a_missing_folder_is_taken_again(damage, tmp_path, monkeypatch):
    """An empty or half-written mounts.json (its write cut short) made every `up` end in a JSONDecodeError
    traceback, and a folder removed by hand made every node's start fail on its bind."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    engine = Engine(ARCHIVES)
    paths = code_mounts.copy_of(engine, "sha256:0123456789abcdef0123")
    folder = tmp_path / "code" / "0123456789abcdef"
    if damage == "folder gone":
        shutil.rmtree(folder / "python3.11")
    else:
        index = (folder / code_mounts.INDEX).read_text()
        (folder / code_mounts.INDEX).write_text("" if damage == "empty index" else index[:len(index) // 2])
    engine.calls.clear()
    assert code_mounts.copy_of(engine, "sha256:0123456789abcdef0123") == paths
    assert ("archive", "/usr/lib/python3.11") in engine.calls, "expected the copy taken again"
    assert (folder / "python3.11" / "os.py").exists()


def test_a_copy_that_cannot_be_written_is_one_line_saying_so_and_how_to_go_without(tmp_path, monkeypatch):
    """A read-only state dir (a checkout cloned by another user) or a full disk: `up` ended in a
    PermissionError or OSError traceback (exit 2, as a bug)."""
    from fakenet.errors import FakenetError

    (tmp_path / "code").mkdir()
    (tmp_path / "code" / ".lock").mkdir()  # opening the lock fails as a read-only state dir makes it fail
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    with pytest.raises(FakenetError, match="FAKENET_CODE_MOUNTS=0"):
        code_mounts.copy_of(Engine(ARCHIVES), "sha256:0123456789abcdef0123")


def test_a_copy_under_a_path_with_a_dollar_is_bound_from_that_path_not_an_interpolated_one(tmp_path, monkeypatch):
    """Compose interpolates `$name` in every value of its files, the override's bind sources too: a checkout
    (its state directory) at `…/a$b/…` bound `…/a/…`, or, with `b` set, wherever `b` pointed."""
    import json
    import subprocess

    source = str(tmp_path / "ci$HOME" / "code" / "x" / "fakenet")
    monkeypatch.setenv("HOME", "/elsewhere")
    files = tmp_path / "override.json"
    files.write_text(json.dumps({"services": {"node": {"image": "busybox", "volumes": code_mounts.compose_volumes(
        {"/opt/fakenet": source})}}}))
    done = subprocess.run([compose.compose_binary(), "-p", "sc-dollar", "-f", str(files), "config", "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)["services"]["node"]["volumes"][0]["source"]
    assert shown.replace("$$", "$") == source  # `config` writes a `$` as `$$`, to be read back as one


@pytest.mark.parametrize("how", ["the bind refused", "another folder at that path"])
def test_an_engine_that_does_not_see_the_copys_folder_gets_no_binds_and_is_not_asked_again(how, tmp_path, monkeypatch):
    """A client in a container run with `--network host` has the engine's host name but its own files: the
    binds named folders the engine's host has not, and every node's create failed on them."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    engine = Engine(ARCHIVES, sees=how != "the bind refused")
    if how == "another folder at that path":  # the engine's host has the path, with other files in it
        real_read = engine.get_archive

        def other_files(container, path):
            if path.endswith(code_mounts.PROBE_TOKEN):
                data = tar_of({code_mounts.PROBE_TOKEN: b"someone else's"})
                return iter([data]), {}
            return real_read(container, path)
        engine.get_archive = other_files
        engine.api.get_archive = other_files
    assert code_mounts.copy_of(engine, "sha256:0123456789abcdef0123") == {}
    assert ("archive", "/opt/fakenet") not in engine.calls, "no copy taken that no node could read"
    assert engine.calls[-1] == ("remove", "c1")
    engine.calls.clear()
    assert code_mounts.copy_of(engine, "sha256:0123456789abcdef0123") == {}
    assert engine.calls == [], "the answer is kept with the copy's folder"


def test_prune_keeps_a_copy_a_container_still_mounts_and_says_which(tmp_path, monkeypatch):
    """A copy whose image is gone (`docker rmi -f`) while a node still runs from it: removed, every later
    lazy import of that node failed. Kept now, with the containers that mount it, running or stopped."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    for name in ("feedfeedfeedfeed", "deaddeaddeaddead"):
        (tmp_path / "code" / name / "fakenet").mkdir(parents=True)
    engine = Engine(ARCHIVES)
    engine.images = SimpleNamespace(list=lambda filters: [])
    engine.mounts = {"fakenet-abc-node2": [str(tmp_path / "code" / "feedfeedfeedfeed" / "fakenet"), "/data"]}
    assert code_mounts.prune(engine) == (["deaddeaddeaddead"], {"feedfeedfeedfeed": ["fakenet-abc-node2 (running)"]})
    assert (tmp_path / "code" / "feedfeedfeedfeed" / "fakenet").is_dir()
    engine.mounts = {}
    assert code_mounts.prune(engine) == (["feedfeedfeedfeed"], {})


def test_a_copy_taken_again_keeps_the_parts_a_container_mounts(tmp_path, monkeypatch):
    """A part removed by hand makes the copy unfinished; taking it again removed the whole folder, the
    part its running nodes still read too. Now only what is missing is taken."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    engine = Engine(ARCHIVES)
    paths = code_mounts.copy_of(engine, "sha256:0123456789abcdef0123")
    folder = tmp_path / "code" / "0123456789abcdef"
    shutil.rmtree(folder / "python3.11")
    marker = folder / "fakenet" / "lib" / "m.py"
    inode = marker.stat().st_ino
    engine.mounts = {"fakenet-abc-node": [paths["/opt/fakenet"]]}
    engine.calls.clear()
    assert code_mounts.copy_of(engine, "sha256:0123456789abcdef0123") == paths
    assert ("archive", "/opt/fakenet") not in engine.calls and ("archive", "/usr/lib/python3.11") in engine.calls
    assert marker.stat().st_ino == inode, "the mounted part was rewritten under its node"
    assert (folder / "python3.11" / "os.py").exists()


def test_fake_prune_says_in_one_line_which_copy_it_kept_and_why(monkeypatch, capsys):
    from fakenet import cli, prune

    monkeypatch.setattr(prune, "prune_hosts", lambda: {"local": prune.Pruned()})
    monkeypatch.setattr(prune, "prune_images", lambda client: [])
    monkeypatch.setattr(cli, "_docker", lambda: None)
    monkeypatch.setattr(code_mounts, "prune", lambda client: ([], {"feedfeedfeedfeed": ["fakenet-ab-node2 (exited)"]}))
    assert cli.cmd_prune(None, []) == 0
    assert capsys.readouterr().out == ("kept code copy feedfeedfeedfeed: mounted by fakenet-ab-node2 (exited) "
                                       "(remove the container to let it go)\n")


def test_an_engine_error_on_the_probes_create_is_said_not_remembered_as_a_folder_it_cannot_see(tmp_path, monkeypatch):
    """Only the engine's refusal of the bind (400: its host has no such path) means no binds; any other
    failure of that create (a busy engine's 500) was taken for it, and the empty index kept with the copy
    left every later node of the image without its code binds, silently."""
    import docker.errors

    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    engine = Engine(ARCHIVES)
    real_create, failures = engine.create, [1]

    def busy_once(image, command, labels, host_config=None):
        if failures:
            failures.pop()
            raise docker.errors.APIError("500 Server Error: context deadline exceeded",
                                         response=SimpleNamespace(status_code=500, reason="Internal Server Error",
                                                                  url="http+docker://localhost/containers/create"))
        return real_create(image, command, labels, host_config)
    engine.api.create_container = busy_once
    with pytest.raises(FakenetError, match="could not copy the node image's code"):
        code_mounts.copy_of(engine, "sha256:0123456789abcdef0123")
    folder = tmp_path / "code" / "0123456789abcdef"
    assert code_mounts.copy_of(engine, "sha256:0123456789abcdef0123") == {
        "/opt/fakenet": str(folder / "fakenet"), "/usr/lib/python3.11": str(folder / "python3.11")}
