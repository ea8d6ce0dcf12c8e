"""`POST /add`: files in a multipart body become UnixFS DAGs in this node's store, pinned in the cluster.

As ipfs-cluster's adder: every file part is added (directories are refused: this node has no
UnixFS directories), each gives one AddedOutput line `{"name", "cid", "size", "allocations"}`
(`quieter`: only the last); unless `no-pin`, each root goes into the cluster pinset with the
request's pin options, the file name standing in for a missing `name`. The blocks stay on this
node until the allocated peers fetch them over the swarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from fakenet.node import excerpt
from fakenet.node.cluster import unixfs
from fakenet.node.cluster.http import BodyTooLarge

DIRECTORY = "application/x-directory"


@dataclass(frozen=True)
class AddParams:
    cid_version: int = 0
    raw_leaves: bool | None = None  # None: Kubo's default for the CID version
    pin: bool = True
    quiet: bool = False


def _bool(query, name: str, default):
    value = query.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "t", "true"):  # strconv.ParseBool, as ipfs-cluster parses its flags
        return True
    if value.lower() in ("0", "f", "false"):
        return False
    raise ValueError(f"parameter {name} invalid: {excerpt.quoted(value)} is not a boolean")


def params(query) -> AddParams:
    if query.get("format", "unixfs") not in ("unixfs", ""):
        raise ValueError("format parameter is invalid: this node adds unixfs only")
    if query.get("hash", "sha2-256") != "sha2-256" or query.get("chunker", "size-262144") != "size-262144":
        raise ValueError("only the default hash (sha2-256) and chunker (size-262144) are supported")
    if query.get("layout", "") not in ("", "balanced"):
        raise ValueError("only the balanced layout is supported")
    version = query.get("cid-version", "0")
    if version not in ("0", "1"):
        raise ValueError(f"cid-version must be 0 or 1, got {excerpt.quoted(version)}")
    return AddParams(int(version), _bool(query, "raw-leaves", None), not _bool(query, "no-pin", False),
                     _bool(query, "quieter", False) or _bool(query, "quiet", False))


MAX_FILES = 100  # parts of one /add: each is a DAG built and a pin gossiped (3,000 ran for minutes)


async def files(request: web.Request, limit: int) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every file part, reading at most `limit` bytes and MAX_FILES parts."""
    if not request.content_type.startswith("multipart/"):
        raise ValueError(f"request Content-Type isn't multipart/form-data (got {request.content_type!r})")
    found, total = [], 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if len(found) == MAX_FILES:
                raise ValueError(f"at most {MAX_FILES} files per /add: send more in further requests")
            if not isinstance(part, BodyPartReader):
                raise ValueError("nested multipart bodies are not supported")
            if part.headers.get("Content-Type", "").startswith(DIRECTORY):
                raise ValueError("directories cannot be added to this node: add files one by one")
            data = bytearray()
            while chunk := await part.read_chunk():
                total += len(chunk)
                if total > limit:
                    raise BodyTooLarge(limit)
                data += chunk
            found.append((part.filename or part.name or "", bytes(data)))
    except (RuntimeError, HttpProcessingError, AssertionError) as exc:  # what aiohttp's parser raises
        raise ValueError(f"malformed multipart body: {exc}") from exc
    if not found:
        raise ValueError("no file in the multipart body")
    return found


def build(data: bytes, add: AddParams) -> unixfs.Dag:
    return unixfs.build(data, add.cid_version, add.raw_leaves)
