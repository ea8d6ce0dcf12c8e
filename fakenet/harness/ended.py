"""Nodes the model has up whose process or container has ended, and whether the node ended itself.

A step that fails while a node the harness never stopped is gone says nothing true about the node
until we know who ended it. The rule: a node ends itself by exiting (any exit code) or by a signal
its own code raises (a segfault, an abort); every other signal (SIGKILL, SIGTERM, …), an OOM kill
and a container removed under the run come from outside it: another user, the OOM killer, a
`docker rm -f`. The first is the system under test's failure, the second the infrastructure's. So is a node cut off
from the run's network (`docker network rm`/`disconnect` by another user or tool): it runs, but at
no address the harness or its peers can reach (backends/docker.py).
A node frozen by someone else (SIGSTOP, `docker pause`) has not ended, but is as silent to a step, and
as much the infrastructure's doing; one the harness froze itself (a pause step) is the model's to know.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Signals a process raises on itself through a fault in its own code.
OWN_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSYS,
               signal.SIGTRAP}


@dataclass(frozen=True)
class Ending:
    node: str
    how: str  # "was killed by SIGKILL", "exited with code 1", "its container was removed"
    outside: bool  # ended by someone or something other than the node and the harness
    who: str = ""  # who did it, where more is known than "outside" says (a network's removal)
    # The nodes it put out of the harness's reach, where `node` is not one of them (a network that lost
    # some of its nodes' endpoints): the evidence still asks the others. Empty: `node` alone.
    nodes: tuple[str, ...] = ()

    def sentence(self) -> str:
        who = self.who or ("from outside the run (another user, the OOM killer, an engine command)" if self.outside
                           else "by itself (its log says why)")
        return f"{self.node} {self.how} {who}, and no step stopped it"


def from_returncode(node: str, code: int, outside_exits: Mapping[int, str] = MappingProxyType({})) -> Ending:
    """A Popen returncode: negative is the signal that ended it. `outside_exits` (the kind's
    NodeKind.outside_exits): the exit codes by which the node says its environment failed it."""
    if code < 0:
        sig = signal.Signals(-code) if -code in signal.Signals._value2member_map_ else -code
        name = sig.name if isinstance(sig, signal.Signals) else f"signal {sig}"
        return Ending(node, f"was killed by {name}", sig not in OWN_SIGNALS)
    if code in outside_exits:
        return Ending(node, f"exited with code {code}", True, who=outside_exits[code])
    return Ending(node, f"exited with code {code}", False)


def stopped(pid: int) -> bool:
    """Whether the process is in the stopped state ('T', a SIGSTOP; 't' is a tracer's stop) now."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "T"  # after the name, which may hold spaces
    except (OSError, IndexError):  # gone meanwhile, or no /proc: nothing to say
        return False


def of_network(net) -> list[Ending]:
    """Every node the model has up that has ended; a backend that cannot tell says nothing."""
    endings = []
    for name in net.up():
        try:
            ending = net.runtime(name).ended()
        except Exception:  # a look for evidence after a failure: never the reason for another
            ending = None
        if ending is not None:
            endings.append(ending)
    return endings
