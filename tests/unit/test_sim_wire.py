"""The in-memory wire: bytes flow both ways, a cut drops them and hangs dials, a dead host's pipes close."""

import asyncio

import pytest

from fakenet.sim.loop import VirtualLoop
from fakenet.sim.pipes import Wire


@pytest.fixture
def run():
    loop = VirtualLoop()
    yield loop.run_until_complete
    loop.close()


def _echo_server(wire: Wire, host: str, accepted: list):
    async def accept(reader, writer):
        accepted.append(writer)
        while data := await reader.read(100):
            writer.write(data.upper())
    return wire.transport(host).listen(accept, host, 4011)


def test_bytes_flow_both_ways_and_close_reads_eof(run):
    wire, accepted = Wire(), []

    async def main():
        await _echo_server(wire, "b", accepted)
        reader, writer = await wire.transport("a").open("b", 4011)
        writer.write(b"hello")
        answer = await reader.readexactly(5)
        assert writer.get_extra_info("peername") == ("b", 4011)
        writer.close()
        return answer, await reader.read()

    answer, rest = run(main())
    assert (answer, rest) == (b"HELLO", b"")


def test_a_cut_drops_bytes_and_dials_hang_until_their_timeout(run):
    wire, accepted = Wire(), []

    async def main():
        await _echo_server(wire, "b", accepted)
        reader, writer = await wire.transport("a").open("b", 4011)
        wire.set_blocked("b", {"a"})  # either end's filter cuts the pair both ways
        writer.write(b"lost")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.readexactly(4), 2)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(wire.transport("a").open("b", 4011), 0.5)
        wire.set_blocked("b", set())
        writer.write(b"back")
        return await reader.readexactly(4)

    assert run(main()) == b"BACK"


def test_a_dead_host_refuses_dials_and_its_peers_read_eof(run):
    wire, accepted = Wire(), []

    async def main():
        await _echo_server(wire, "b", accepted)
        reader, _ = await wire.transport("a").open("b", 4011)
        wire.drop("b")
        with pytest.raises(ConnectionRefusedError):
            await wire.transport("a").open("b", 4011)
        return await reader.read()

    assert run(main()) == b""
