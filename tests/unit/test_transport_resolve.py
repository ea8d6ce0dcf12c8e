"""transport.Tcp.resolve: an address needs no resolving; a plain ASCII name reaches getaddrinfo as the
bytes the idna codec would have made of it, so a node meshes without importing that codec (~1 ms
of CPU) while other names still go through the codec, as before."""

import asyncio
import subprocess
import sys

import pytest

from fakenet.node.transport import TCP, _plain_name

NAMES = ["node2", "fakenet-node-1.example", "UPPER.Case", "a.", "", "x" * 63, "a." * 10 + "b",
         "x" * 64, "a..b", ".a", "a" * 64 + ".b", "a." + "b" * 64, "bücher.example"]


@pytest.mark.parametrize("name", NAMES)
def test_a_plain_name_is_what_the_idna_codec_makes_of_it_and_any_other_is_left_to_the_codec(name):
    try:
        encoded = name.encode("idna")
    except UnicodeError:
        encoded = None
    plain = _plain_name(name)
    assert plain is None or plain == encoded, f"{name!r}: {plain!r}, the codec {encoded!r}"
    assert (plain is None) == (encoded is None or not name.isascii())


def test_an_address_is_its_own_resolution():
    assert asyncio.run(TCP.resolve("127.0.0.9", 4011)) == "127.0.0.9"
    assert asyncio.run(TCP.resolve("::1", 4011)) == "::1"


def test_resolving_a_name_or_an_address_imports_no_idna_codec():
    script = ("import asyncio, sys\n"
              "from fakenet.node.transport import TCP\n"
              "print(asyncio.run(TCP.resolve('localhost', 4011)), asyncio.run(TCP.resolve('127.0.0.9', 4011)))\n"
              "print(sorted(m for m in ('encodings.idna', 'stringprep') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    resolved, imported = done.stdout.splitlines()
    assert resolved.split()[1] == "127.0.0.9" and resolved.split()[0] in ("127.0.0.1", "::1")
    assert imported == "[]"
