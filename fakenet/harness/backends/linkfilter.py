"""Packet-filter rules for one node's network namespace, as a facade over a command runner.

The rules live in two chains of our own (FAKENET_IN, FAKENET_OUT) hooked into INPUT and OUTPUT,
so applying a new set is "flush ours, add the new ones" and never touches anything else.
The runner is handed in, so the rule logic is unit-testable without root or an engine.
"""

from __future__ import annotations

from typing import Callable

from fakenet.harness.backends.base import LinkRules

Runner = Callable[[str], tuple[int, str]]  # shell script -> (exit code, output)

_SETUP = """set -e
for pair in INPUT:FAKENET_IN OUTPUT:FAKENET_OUT; do
  hook=${pair%%:*}; chain=${pair##*:}
  iptables -w -N $chain 2>/dev/null || true
  iptables -w -F $chain
  iptables -w -C $hook -j $chain 2>/dev/null || iptables -w -I $hook -j $chain
done
"""


def script(rules: LinkRules, addresses: dict[str, str]) -> str:
    """The shell script that makes the namespace's filter match `rules` (peers by IP address)."""
    lines = [_SETUP]
    for peer in sorted(rules.blocked):
        if peer in addresses:
            lines.append(f"iptables -w -A FAKENET_IN -s {addresses[peer]} -j DROP")
            lines.append(f"iptables -w -A FAKENET_OUT -d {addresses[peer]} -j DROP")
    for peer, probability in rules.loss:
        if peer in addresses and peer not in rules.blocked:
            lines.append(f"iptables -w -A FAKENET_IN -s {addresses[peer]} -m statistic --mode random "
                         f"--probability {probability:.4f} -j DROP")
    return "\n".join(lines) + "\n"


class PacketFilter:
    def __init__(self, run: Runner, node: str):
        self.run, self.node = run, node

    def apply(self, rules: LinkRules, addresses: dict[str, str]) -> None:
        code, output = self.run(script(rules, addresses))
        if code != 0:
            from fakenet.errors import ContainerError

            raise ContainerError(f"could not set the packet filter of {self.node}: {output.strip()[-500:]}",
                                 node=self.node, exit_code=code, output=output)


NETEM_PROBE = "tc qdisc add dev lo root netem delay 0ms 2>&1 && tc qdisc del dev lo root 2>&1"


def has_netem(run: Runner) -> bool:
    """Whether the kernel can shape with netem (this project's CI kernel cannot)."""
    code, _ = run(NETEM_PROBE)
    return code == 0


def netem_script(delays: dict[str, float], addresses: dict[str, str], device: str = "eth0") -> str:
    """Per-peer delay with netem: a prio qdisc with one extra band per slowed peer (each band a
    netem with that peer's delay) and a u32 filter steering the peer's packets into it; all other
    traffic keeps prio's three default bands. prio has at most 16 bands: 13 slowed peers."""
    slowed = sorted((peer, ms) for peer, ms in delays.items() if peer in addresses)[:13]
    lines = [f"tc qdisc del dev {device} root 2>/dev/null; true"]
    if slowed:
        lines.append(f"tc qdisc add dev {device} root handle 1: prio bands {3 + len(slowed)}")
    for band, (peer, ms) in enumerate(slowed, start=4):
        lines.append(f"tc qdisc add dev {device} parent 1:{band} handle {band}0: netem delay {ms:g}ms")
        lines.append(f"tc filter add dev {device} protocol ip parent 1:0 prio 1 u32 "
                     f"match ip dst {addresses[peer]}/32 flowid 1:{band}")
    return "\n".join(lines) + "\n"
