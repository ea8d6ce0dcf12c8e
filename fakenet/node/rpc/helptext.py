"""`help` without a command, laid out as bitcoin-cli prints it: "== Group ==" headings in
alphabetical order, then one signature line per call (`getblock "blockhash" ( verbosity )`)."""

from __future__ import annotations

import inspect
from typing import Callable

# The module a call is defined in names its group, as Core's source files do (rpc/blockchain.cpp, …).
GROUP_OF_MODULE = {"blockchain": "Blockchain", "mining": "Mining", "network": "Network", "peers": "Network",
                   "bans": "Network",
                   "control": "Control", "util": "Util", "streams": "Streams", "cluster": "Cluster"}
GROUP_OF_CALL = {"generatetoaddress": "Generating"}  # where Core files it, not where fakenet defines it


def signature(name: str, function: Callable) -> str:
    """Required arguments quoted, optional ones in parentheses, as Core's help shows them."""
    words = [f'"{p}"' if q.default is inspect.Parameter.empty else f"( {p} )"
             for p, q in inspect.signature(function).parameters.items()]
    return " ".join([name, *words])


def group(name: str, function: Callable) -> str:
    module = function.__module__.rsplit(".", 1)[-1]
    return GROUP_OF_CALL.get(name) or GROUP_OF_MODULE.get(module) or module.capitalize()


def overview(methods: dict[str, Callable]) -> str:
    groups: dict[str, list[str]] = {}
    for name in sorted(methods):
        groups.setdefault(group(name, methods[name]), []).append(signature(name, methods[name]))
    return "\n\n".join(f"== {title} ==\n" + "\n".join(lines) for title, lines in sorted(groups.items()))
