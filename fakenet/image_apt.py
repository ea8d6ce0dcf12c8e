"""Which Debian mirror and suite this machine's apt uses, read from its own sources files.

The bootstrapped base image is built from the mirror the host already uses, read at run
time, so no mirror hostname is ever written in the repo. Both formats are understood:
deb822 `*.sources` paragraphs and one-line `sources.list` entries, in apt's own reading
order (sources.list, then sources.list.d/ alphabetically).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, NamedTuple

from fakenet.errors import ContainerError

APT_DIR = Path("/etc/apt")
OS_RELEASE = Path("/etc/os-release")
SUITE_ALIASES = ("oldstable", "stable", "testing", "unstable", "sid")

_ONE_LINE = re.compile(r"^(?P<type>deb(?:-src)?)\s+(?:\[[^\]]*\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)\s*(?P<comps>.*)$")


# NamedTuples, not frozen dataclasses: a dataclass compiles its methods when the module loads, and
# `./fake up` reads the host's mirror on every run where the base is bootstrapped (issue 28).
class AptSource(NamedTuple):
    """One apt source entry: a deb822 paragraph or a one-line `deb` line."""

    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]


class AptMirror(NamedTuple):
    """The mirror and base suite a Debian base is bootstrapped from."""

    uri: str
    suite: str


def parse_one_line(text: str) -> list[AptSource]:
    """Entries of a one-line-style `sources.list` (comments and `deb-src` kept as typed)."""
    sources = []
    for line in text.splitlines():
        match = _ONE_LINE.match(line.split("#", 1)[0].strip())
        if match:
            fields = (match["type"],), (match["uri"],), (match["suite"],), tuple(match["comps"].split())
            sources.append(AptSource(*fields))
    return sources


def parse_deb822(text: str) -> list[AptSource]:
    """Entries of a deb822 `.sources` file; paragraphs with `Enabled: no` are left out."""
    sources = []
    for fields in _deb822_paragraphs(text):
        if fields.get("enabled", "yes").strip().lower() == "no":
            continue
        values = {name: tuple(fields.get(name, "").split()) for name in ("types", "uris", "suites", "components")}
        sources.append(AptSource(**values))
    return sources


def _deb822_paragraphs(text: str) -> Iterable[dict[str, str]]:
    """Each paragraph as {lower-cased field name: value}, continuation lines joined."""
    fields: dict[str, str] = {}
    name = None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if fields:
                yield fields
            fields, name = {}, None
        elif line[0] in " \t" and name:
            fields[name] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            fields[name] = value.strip()


def parse_sources(filename: str, text: str) -> list[AptSource]:
    """Entries of one apt sources file, its format chosen by its name as apt does."""
    return parse_deb822(text) if filename.endswith(".sources") else parse_one_line(text)


def pick_mirror(sources: Iterable[AptSource], codename: str | None = None) -> AptMirror:
    """The first binary, non-security entry with component `main` of the release's own suite.

    The suite is the host's `codename` or an alias like `stable` (any plain suite name when the
    codename is unknown), never `-updates`, `-security`, `-backports`: third-party repositories
    (docker's `stable` component, nodesource's `nodistro` suite) are passed over even when
    listed first.
    """
    for source in sources:
        if "deb" not in source.types or "main" not in source.components or not source.uris:
            continue
        uri = source.uris[0]
        for suite in source.suites:
            if _is_release_suite(suite, codename) and "security" not in uri:
                return AptMirror(uri, suite)
    raise ContainerError(
        f"no Debian mirror found in this machine's apt sources (wanted a `deb` entry of suite "
        f"{codename or 'any release'} with component main); set FAKENET_BASE_IMAGE to an image you have"
    )


def _is_release_suite(suite: str, codename: str | None) -> bool:
    if codename:
        return suite == codename or suite in SUITE_ALIASES
    return bool(re.fullmatch(r"[a-z][a-z0-9]*", suite))


def os_codename(os_release: str) -> str | None:
    """VERSION_CODENAME from the text of /etc/os-release, if it names one."""
    for line in os_release.splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "VERSION_CODENAME" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def resolve_mirror_list(uri: str, read=Path.read_text) -> str:
    """A `mirror+file:` URI (Debian cloud images) replaced by the first mirror it lists."""
    if not uri.startswith("mirror+file:"):
        return uri
    path = re.sub(r"^mirror\+file:(//)?", "", uri)
    for line in read(Path(path)).splitlines():
        if line.strip() and not line.startswith("#"):
            return line.split()[0]
    raise ContainerError(f"apt mirror list {path} names no mirror")


def host_source_files(apt_dir: Path = APT_DIR) -> list[Path]:
    """This machine's apt sources files in the order apt reads them."""
    listed = apt_dir / "sources.list"
    parts = sorted(p for p in (apt_dir / "sources.list.d").glob("*") if p.suffix in (".list", ".sources"))
    return ([listed] if listed.is_file() else []) + parts


def host_mirror(apt_dir: Path = APT_DIR, os_release: Path = OS_RELEASE) -> AptMirror:
    """The mirror and suite this machine's apt uses, read now from its sources files."""
    sources = [s for path in host_source_files(apt_dir) for s in parse_sources(path.name, path.read_text())]
    codename = os_codename(os_release.read_text()) if os_release.is_file() else None
    mirror = pick_mirror(sources, codename)
    return AptMirror(resolve_mirror_list(mirror.uri), mirror.suite)
