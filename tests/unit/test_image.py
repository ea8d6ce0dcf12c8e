"""The node image without an engine: apt mirror discovery, content hash, context, base choice."""

import tarfile
import tomllib
from types import SimpleNamespace

import docker.errors
import pytest

import fakenet.image as image
import fakenet.image_base as image_base
import fakenet.image_wheels as image_wheels
from fakenet import engine_reads
from fakenet.errors import ContainerError
from fakenet.image_apt import (
    AptMirror,
    AptSource,
    host_mirror,
    os_codename,
    parse_deb822,
    parse_one_line,
    pick_mirror,
    resolve_mirror_list,
)

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

NODESOURCE = """\
Types: deb
URIs: https://deb.nodesource.example/node_20.x
Suites: nodistro
Components: main
"""

ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/docker.gpg] https://download.docker.example/linux/debian bookworm stable
deb-src http://mirror.example/debian trixie main
deb http://security.example/debian-security trixie-security main
deb http://mirror.example/debian trixie main contrib non-free-firmware # trailing comment
"""


# --- apt sources -------------------------------------------------------------------------


def test_deb822_paragraphs_become_sources():
    assert parse_deb822(DEB822) == [
        AptSource(("deb",), ("http://mirror.example/debian",), ("bookworm", "bookworm-updates"), ("main",)),
        AptSource(("deb",), ("http://mirror.example/debian-security",), ("bookworm-security",), ("main",)),
    ]


def test_deb822_disabled_paragraphs_and_continuation_lines():
    text = "Types: deb\nURIs: http://off.example/debian\nSuites: sid\nComponents: main\nEnabled: no\n\n" \
           "Types: deb deb-src\nURIs:\n http://on.example/debian\nSuites: trixie\nComponents: main\n  contrib\n"
    assert parse_deb822(text) == [
        AptSource(("deb", "deb-src"), ("http://on.example/debian",), ("trixie",), ("main", "contrib"))
    ]


def test_one_line_entries_skip_comments_and_keep_options_out():
    sources = parse_one_line(ONE_LINE)
    assert [(s.types[0], s.uris[0], s.suites[0]) for s in sources] == [
        ("deb", "https://download.docker.example/linux/debian", "bookworm"),
        ("deb-src", "http://mirror.example/debian", "trixie"),
        ("deb", "http://security.example/debian-security", "trixie-security"),
        ("deb", "http://mirror.example/debian", "trixie"),
    ]
    assert sources[-1].components == ("main", "contrib", "non-free-firmware")


def test_mirror_is_first_base_suite_with_main():
    assert pick_mirror(parse_deb822(DEB822)) == AptMirror("http://mirror.example/debian", "bookworm")


def test_third_party_security_and_source_entries_are_passed_over():
    sources = parse_deb822(NODESOURCE) + parse_one_line(ONE_LINE)
    assert pick_mirror(sources, "trixie") == AptMirror("http://mirror.example/debian", "trixie")


def test_without_a_codename_any_plain_suite_with_main_will_do():
    assert pick_mirror(parse_one_line(ONE_LINE)) == AptMirror("http://mirror.example/debian", "trixie")
    assert pick_mirror(parse_one_line("deb http://m.example/debian stable main\n"), "bookworm").suite == "stable"


def test_no_usable_entry_is_a_container_error():
    with pytest.raises(ContainerError, match="no Debian mirror"):
        pick_mirror(parse_deb822(NODESOURCE), "bookworm")


def test_codename_is_read_from_os_release():
    assert os_codename('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n') == "bookworm"
    assert os_codename('VERSION_CODENAME=""\nID=debian\n') is None


def test_mirror_list_uri_resolves_to_its_first_mirror(tmp_path):
    listing = tmp_path / "debian.list"
    listing.write_text("# cloud mirrors\nhttps://cdn.example/debian\tpriority:1\nhttps://other.example/debian\n")
    assert resolve_mirror_list(f"mirror+file:{listing}") == "https://cdn.example/debian"
    assert resolve_mirror_list(f"mirror+file://{listing}") == "https://cdn.example/debian"
    assert resolve_mirror_list("http://plain.example/debian") == "http://plain.example/debian"


def test_host_mirror_reads_files_in_apt_order(tmp_path):
    os_release = tmp_path / "os-release"
    os_release.write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "a-nodesource.sources").write_text(NODESOURCE)
    (tmp_path / "sources.list.d" / "b-debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "c.list.disabled").write_text("deb http://ignored.example/debian sid main\n")
    assert host_mirror(tmp_path, os_release) == AptMirror("http://mirror.example/debian", "bookworm")
    (tmp_path / "sources.list").write_text("deb http://first.example/debian bookworm main\n")
    assert host_mirror(tmp_path, os_release) == AptMirror("http://first.example/debian", "bookworm")


# --- content hash and build context --------------------------------------------------------


def test_content_hash_is_order_independent_and_covers_every_input():
    inputs = {"Dockerfile": b"FROM x\n", "src/fakenet/a.py": b"A = 1\n"}
    reference = image.content_hash(inputs, "sha256:base")
    assert image.content_hash(dict(reversed(inputs.items())), "sha256:base") == reference
    assert image.content_hash({**inputs, "src/fakenet/a.py": b"A = 2\n"}, "sha256:base") != reference
    assert image.content_hash({**inputs, "src/fakenet/b.py": b""}, "sha256:base") != reference
    assert image.content_hash(inputs, "sha256:other") != reference
    # A byte moved from one file's end to the next file's name must not collide.
    assert image.content_hash({"a": b"xb", "c": b""}, "id") != image.content_hash({"a": b"x", "bc": b""}, "id")


def test_image_tag_names_the_hash():
    assert image.image_tag("0123456789abcdef" * 4) == "fakenet-node:0123456789abcdef"


@pytest.fixture
def checkout(tmp_path):
    (tmp_path / "compose").mkdir()
    (tmp_path / "compose" / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "fakenet"\nrequires-python = ">=3.11"\ndynamic = ["version", "dependencies"]\n'
        '[project.scripts]\nfakenet-node = "fakenet.node.daemon:main"\nfake = "fakenet.__main__:main"\n'
    )
    (tmp_path / "requirements.txt").write_text("docker>=7\n")
    (tmp_path / "README.md").write_text("# fakenet\n")
    package = tmp_path / "fakenet" / "node"
    package.mkdir(parents=True)
    (tmp_path / "fakenet" / "__init__.py").write_text("from importlib import import_module\n")
    (tmp_path / "fakenet" / "harness").mkdir()
    (tmp_path / "fakenet" / "harness" / "network.py").write_text("class Network: pass\n")
    (package / "daemon.py").write_text("def main(): pass\n")
    (package / "version.py").write_text('__version__ = "0.1.0"\n')
    (package / "requirements.txt").write_text("# the node's\naiohttp>=3.9  # web servers\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "daemon.cpython-311.pyc").write_bytes(b"\0")
    (package / ".daemon.py.swp").write_bytes(b"\0")
    return tmp_path


def test_build_inputs_are_the_node_package_without_bytecode_or_hidden_files(checkout):
    assert sorted(image.build_inputs(checkout)) == [
        "Dockerfile", "src/fakenet/__init__.py", "src/fakenet/node/daemon.py", "src/fakenet/node/requirements.txt",
        "src/fakenet/node/version.py", "src/pyproject.toml",
    ]  # fmt: skip


def test_the_image_is_a_distribution_of_the_node_alone(checkout):
    pyproject = tomllib.loads(image.build_inputs(checkout)["src/pyproject.toml"].decode())
    assert pyproject["project"]["dependencies"] == ["aiohttp>=3.9"]  # not the harness's docker
    assert pyproject["project"]["version"] == "0.1.0"
    assert pyproject["project"]["scripts"] == {"fakenet-node": "fakenet.node.daemon:main"}
    assert image_wheels.project_requirements(pyproject) == ["aiohttp>=3.9", "setuptools>=68"]


def _tag(root) -> str:
    return image.image_tag(image.content_hash(image.build_inputs(root), "sha256:base"))


def test_editing_anything_but_the_node_leaves_the_tag_unchanged(checkout):
    before = _tag(checkout)
    (checkout / "README.md").write_text("# fakenet, reworded\n")
    (checkout / "fakenet" / "__init__.py").write_text("__all__ = []\n")
    (checkout / "fakenet" / "harness" / "network.py").write_text("class Network: ...  # changed\n")
    (checkout / "requirements.txt").write_text("docker>=7\nnetworkx>=3\n")
    assert _tag(checkout) == before
    (checkout / "fakenet" / "node" / "daemon.py").write_text("def main(): return 1\n")
    assert _tag(checkout) != before


def test_a_node_dependency_change_changes_the_tag(checkout):
    before = _tag(checkout)
    (checkout / "fakenet" / "node" / "requirements.txt").write_text("aiohttp>=3.10\n")
    assert _tag(checkout) != before


def test_the_real_checkout_hashes_the_node_only():
    inputs = image.build_inputs(image.repo_root())
    assert all(name in ("Dockerfile", "src/pyproject.toml", "src/fakenet/__init__.py")
               or name.startswith("src/fakenet/node/") for name in inputs)
    assert b"harness" not in inputs["src/fakenet/__init__.py"]


def test_context_tar_holds_inputs_wheels_and_requirements(checkout, tmp_path):
    wheels = tmp_path / "wheelhouse"
    wheels.mkdir()
    (wheels / "aiohttp-3.9-py3-none-any.whl").write_bytes(b"wheel")
    context = image.context_tar(image.build_inputs(checkout), wheels, ["aiohttp>=3.9", "setuptools>=68"])
    with tarfile.open(fileobj=context) as tar:
        names = tar.getnames()
        requirements = tar.extractfile("wheels/requirements.txt").read().decode()
    assert "Dockerfile" in names and "src/fakenet/node/daemon.py" in names
    assert "wheels/aiohttp-3.9-py3-none-any.whl" in names
    assert requirements.splitlines() == ["aiohttp>=3.9", "setuptools>=68"]


# --- wheelhouse ----------------------------------------------------------------------------


def test_requirements_are_runtime_deps_and_build_backend():
    pyproject = {"project": {"dependencies": ["aiohttp>=3.9"]}, "build-system": {"requires": ["setuptools>=68"]}}
    assert image_wheels.project_requirements(pyproject) == ["aiohttp>=3.9", "setuptools>=68"]


def test_wheel_platforms_cover_every_manylinux_up_to_bookworm():
    assert image_wheels.wheel_arch("amd64") == "x86_64" and image_wheels.wheel_arch("arm64") == "aarch64"
    platforms = image_wheels.wheel_platforms("x86_64")
    assert platforms[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_17_x86_64" in platforms and "manylinux2014_x86_64" in platforms


def test_wheelhouse_key_follows_requirements_and_arch():
    key = image_wheels.wheelhouse_key(["a>=1"], "x86_64", "3.11")
    assert key == image_wheels.wheelhouse_key(["a>=1"], "x86_64", "3.11")
    assert key != image_wheels.wheelhouse_key(["a>=2"], "x86_64", "3.11")
    assert key != image_wheels.wheelhouse_key(["a>=1"], "aarch64", "3.11")
    assert key != image_wheels.wheelhouse_key(["a>=1"], "x86_64", "3.13")


def test_wheels_are_fetched_as_binaries_for_the_image_interpreter(tmp_path):
    command = image_wheels.download_command(["a>=1"], "x86_64", "3.13", tmp_path)
    assert "--only-binary=:all:" in command and command[-1] == "a>=1"
    assert command[command.index("--python-version") + 1] == "3.13"
    assert command[command.index("--abi") + 1] == "cp313"


def test_wheelhouse_is_reused_and_replaces_older_ones(tmp_path, monkeypatch):
    calls = []

    def fake_pip(cmd, progress):
        calls.append(cmd)
        dest = cmd[cmd.index("--dest") + 1]
        (tmp_path / dest).mkdir()

    monkeypatch.setattr(image_wheels, "run_streaming", fake_pip)
    (tmp_path / "old-key").mkdir()
    first = image_wheels.ensure_wheelhouse(tmp_path, ["a>=1"], "x86_64", "3.11", lambda line: None)
    second = image_wheels.ensure_wheelhouse(tmp_path, ["a>=1"], "x86_64", "3.11", lambda line: None)
    assert first == second and len(calls) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]


# --- base image ----------------------------------------------------------------------------


class FakeImages:
    def __init__(self, present=(), pullable=()):
        self.present = {ref: SimpleNamespace(id=f"sha256:{ref}", labels={}) for ref in present}
        self.pullable = set(pullable)
        self.pulled = []

    def get(self, ref):
        if ref not in self.present:
            raise docker.errors.ImageNotFound(ref)
        return self.present[ref]

    def list(self, filters=None):
        return []  # no stale node images to prune

    def pull(self, ref):
        self.pulled.append(ref)
        if ref not in self.pullable:
            raise docker.errors.APIError("no registry")
        self.present[ref] = SimpleNamespace(id=f"sha256:{ref}", labels={})
        return self.present[ref]


def test_base_present_locally_is_used_without_pulling(monkeypatch):
    monkeypatch.delenv("FAKENET_BASE_IMAGE", raising=False)
    client = SimpleNamespace(images=FakeImages(present=["python:3.11-slim"]))
    assert image_base.resolve_base(client, print) == image_base.BaseImage("python:3.11-slim", "sha256:python:3.11-slim")
    assert client.images.pulled == []


def test_argument_beats_environment_and_absent_base_is_pulled(monkeypatch):
    monkeypatch.setenv("FAKENET_BASE_IMAGE", "from-env:1")
    client = SimpleNamespace(images=FakeImages(pullable=["from-arg:1"]))
    assert image_base.resolve_base(client, print, "from-arg:1").ref == "from-arg:1"
    assert client.images.pulled == ["from-arg:1"]


def test_unpullable_base_falls_back_to_bootstrap(monkeypatch):
    monkeypatch.delenv("FAKENET_BASE_IMAGE", raising=False)
    monkeypatch.setattr(image_base, "_local_bootstrap", lambda client: None)
    bootstrapped = image_base.BaseImage("fakenet-base:bookworm", "sha256:boot")
    monkeypatch.setattr(image_base, "bootstrap_base", lambda client, progress: bootstrapped)
    lines = []
    assert image_base.resolve_base(SimpleNamespace(images=FakeImages()), lines.append) == bootstrapped
    assert any("cannot pull python:3.11-slim" in line for line in lines)


def test_default_base_absent_prefers_an_earlier_bootstrap_to_a_pull(monkeypatch):
    monkeypatch.delenv("FAKENET_BASE_IMAGE", raising=False)
    monkeypatch.setattr(image_base, "host_mirror", lambda: AptMirror("http://m.example/debian", "bookworm"))
    images = FakeImages(present=["fakenet-base:bookworm"], pullable=["python:3.11-slim"])
    images.present["fakenet-base:bookworm"].labels[image_base.PACKAGES_LABEL] = ",".join(image_base.BOOTSTRAP_PACKAGES)
    client = SimpleNamespace(images=images)
    assert image_base.resolve_base(client, print).ref == "fakenet-base:bookworm"
    assert images.pulled == []
    assert image_base.resolve_base(client, print, "python:3.12-slim").ref == "fakenet-base:bookworm"
    assert images.pulled == ["python:3.12-slim"]


def test_outdated_bootstrap_base_is_not_reused():
    images = FakeImages(present=["fakenet-base:bookworm"])
    client = SimpleNamespace(images=images)
    assert image_base._current_bootstrap_id(engine_reads.of(client), "fakenet-base:bookworm") is None
    images.present["fakenet-base:bookworm"].labels[image_base.PACKAGES_LABEL] = ",".join(image_base.BOOTSTRAP_PACKAGES)
    assert image_base._current_bootstrap_id(engine_reads.of(client), "fakenet-base:bookworm") == "sha256:fakenet-base:bookworm"


def test_the_node_and_litecoin_images_bootstrap_their_one_base_once_between_them(tmp_path, monkeypatch):
    """Both images' builders ask for fakenet-base at once on a fresh machine (each under its own
    build lock): one bootstraps it, the other waits and uses it."""
    import threading

    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(image_base, "host_mirror", lambda: AptMirror("http://m.example/debian", "bookworm"))
    images, bootstraps = FakeImages(), []
    inside, second = threading.Event(), threading.Event()

    def bootstrap_tarball(mirror, workdir, progress, packages):
        bootstraps.append(packages)
        if len(bootstraps) == 1:
            inside.set()
            second.wait(0.5)  # a second bootstrap would start meanwhile without the lock; it must not
        else:
            second.set()
        return workdir / "rootfs.tar"

    def import_image_from_file(path, repository, tag, changes):
        images.present[f"{repository}:{tag}"] = SimpleNamespace(
            id="sha256:base", labels={image_base.PACKAGES_LABEL: ",".join(image_base.BOOTSTRAP_PACKAGES)})

    monkeypatch.setattr(image_base, "bootstrap_tarball", bootstrap_tarball)
    client = SimpleNamespace(images=images, api=SimpleNamespace(import_image_from_file=import_image_from_file))
    got = []
    first = threading.Thread(target=lambda: got.append(image_base.bootstrap_base(client, lambda line: None)))
    first.start()
    assert inside.wait(10)
    got.append(image_base.bootstrap_base(client, lambda line: None))
    first.join(10)
    assert bootstraps == [image_base.BOOTSTRAP_PACKAGES] and "litecoind" in bootstraps[0]
    assert got == [image_base.BaseImage("fakenet-base:bookworm", "sha256:base")] * 2


def test_the_litecoin_image_is_built_on_the_node_images_base(monkeypatch, tmp_path):
    from fakenet import image_litecoin

    asked = []
    monkeypatch.setattr(image_litecoin, "bootstrap_base",
                        lambda client, progress, **options: asked.append(options) or image_base.BaseImage("b", "sha256:b"))
    monkeypatch.setattr(image_litecoin, "local_image_id", lambda client, tag: "sha256:built")
    assert image_litecoin._ensure_locked(object(), image.repo_root(), lambda line: None).startswith("fakenet-litecoin:")
    assert asked == [{}], "the litecoin image asked for a base of its own"


def test_bootstrap_commands_use_the_host_mirror_and_the_package_set(tmp_path):
    mirror = AptMirror("http://mirror.example/debian", "bookworm")
    command = image_base.mmdebstrap_command(mirror, tmp_path / "rootfs.tar")
    assert command[-3:] == ["bookworm", str(tmp_path / "rootfs.tar"), "http://mirror.example/debian"]
    assert "--variant=minbase" in command
    assert "--include=python3,python3-venv,iptables,iproute2,netbase,litecoind" in command
    assert image_base.debootstrap_command(mirror, tmp_path)[-3:] == ["bookworm", str(tmp_path), mirror.uri]


def test_no_bootstrap_tool_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(image_base.shutil, "which", lambda name: None)
    with pytest.raises(ContainerError, match="apt-get install mmdebstrap"):
        image_base.bootstrap_tarball(AptMirror("http://m.example/debian", "bookworm"), tmp_path, print)


def test_failed_command_raises_with_its_output_tail():
    with pytest.raises(ContainerError) as raised:
        image_base.run_streaming(["sh", "-c", "echo first; echo last; exit 3"], lambda line: None)
    assert raised.value.exit_code == 3 and raised.value.output == "first\nlast"


# --- ensure_image ----------------------------------------------------------------------------


class FakeApi:
    def __init__(self, images, events):
        self.images, self.events, self.builds = images, events, []

    def build(self, **kwargs):
        self.builds.append(kwargs)
        self.images.present[kwargs["tag"]] = SimpleNamespace(id="sha256:new", labels={})
        return iter(self.events)


@pytest.fixture
def engine(checkout, monkeypatch):
    """A fake engine holding a base; ensure_image pointed at the `checkout` tree."""
    images = FakeImages(present=["base:1"])
    client = SimpleNamespace(images=images, api=FakeApi(images, [{"stream": "Step 1/1 : FROM base:1\n"}]),
                             version=lambda: {"Arch": "amd64"})
    monkeypatch.setattr(image, "repo_root", lambda: checkout)
    monkeypatch.setattr(image, "ensure_wheelhouse", lambda cache, reqs, arch, python, progress: checkout)
    monkeypatch.setattr(image, "base_python", lambda client, base: "3.11")
    return client


def test_ensure_image_builds_once_then_reuses_the_tag(engine):
    lines = []
    tag = image.ensure_image(lines.append, "base:1", client=engine)
    assert tag.startswith("fakenet-node:") and "Step 1/1 : FROM base:1" in lines
    build = engine.api.builds[0]
    assert build["buildargs"] == {"BASE_IMAGE": "base:1"} and build["pull"] is False
    assert build["labels"][image.SOURCE_HASH_LABEL].startswith(tag.split(":")[1])
    assert image.ensure_image(lines.append, "base:1", client=engine) == tag
    assert len(engine.api.builds) == 1


def test_build_error_raises_with_the_log_tail(engine):
    engine.api.events = [{"stream": "Step 9/9 : RUN pip install\n"}, {"error": "returned a non-zero code: 1"}]
    with pytest.raises(ContainerError, match="non-zero code") as raised:
        image.ensure_image(lambda line: None, "base:1", client=engine)
    assert "Step 9/9" in raised.value.output


def test_public_api():
    assert set(image.__all__) == {
        "IMAGE_REPO", "SOURCE_HASH_LABEL", "build_inputs", "content_hash", "ensure_image", "image_tag", "node_pyproject",
        "present_tag", "repo_root",
    }  # fmt: skip


def _no_bootstrapper(monkeypatch, euid, apt_get="/usr/bin/apt-get"):
    tools = {"apt-get": apt_get}
    monkeypatch.setattr(image_base.shutil, "which", lambda name: tools.get(name))
    monkeypatch.setattr(image_base.os, "geteuid", lambda: euid)
    ran = []
    monkeypatch.setattr(image_base, "run_streaming", lambda cmd, progress, env=None: ran.append(list(cmd)))
    return ran


def test_as_root_with_apt_the_first_bootstrap_installs_mmdebstrap_then_says_what_is_missing(monkeypatch, tmp_path):
    ran = _no_bootstrapper(monkeypatch, euid=0)
    mirror = AptMirror("http://deb.debian.org/debian", "bookworm")
    with pytest.raises(ContainerError, match="install mmdebstrap"):  # the fake install put nothing on PATH
        image_base.bootstrap_tarball(mirror, tmp_path, lambda line: None)
    assert ran == [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "mmdebstrap"]]


def test_without_root_nothing_is_installed(monkeypatch, tmp_path):  # without apt-get: the test above
    ran = _no_bootstrapper(monkeypatch, euid=1000)
    with pytest.raises(ContainerError, match="apt-get install mmdebstrap"):
        image_base.bootstrap_tarball(AptMirror("http://deb.debian.org/debian", "bookworm"), tmp_path,
                                     lambda line: None)
    assert ran == []


def _takes_lock_within(cache, name: str, seconds: float) -> bool:
    """Whether another thread gets build_lock(cache, name) within `seconds` (flock: a second open of the
    same lock file waits even in this process)."""
    import threading

    taken = threading.Event()

    def take():
        with image.build_lock(cache, name):
            taken.set()

    threading.Thread(target=take, daemon=True).start()
    return taken.wait(seconds)


def test_a_litecoin_build_does_not_hold_up_the_node_image(tmp_path):
    # A first `--kind litecoin` bootstraps a base for a minute; `up` of the built node image waited for it.
    with image.build_lock(tmp_path, "litecoin"):
        assert _takes_lock_within(tmp_path, "node", 10)
        # the same image's builders still wait for one another (released when this block ends)
        assert not _takes_lock_within(tmp_path, "litecoin", 0.3)
