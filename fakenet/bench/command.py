"""Entry point of `fake bench` (placeholder until the benchmarks land)."""

from fakenet.errors import FakenetError


def main(args: list[str]) -> int:
    raise FakenetError("fake bench is not implemented yet")
