"""fakenet: a local peer-to-peer test network (Ceramic/IPFS-style nodes over a small PoW chain).

    from fakenet import Network
    with Network(4, backend="docker") as net: ...

The public names are loaded on first use, so the node package (fakenet.node, which runs in
containers without the harness's dependencies) imports nothing of the harness through here.
"""

from importlib import import_module

from fakenet.node.version import __version__

_PUBLIC = {
    "Network": "fakenet.harness.network",
    "Node": "fakenet.harness.node",
    "NodeKind": "fakenet.kinds.base",
    "NodeClient": "fakenet.kinds.base",
    "Launch": "fakenet.kinds.base",
    "Tip": "fakenet.kinds.base",
    "FakenetError": "fakenet.errors",
    "ConfigError": "fakenet.errors",
    "ContainerError": "fakenet.errors",
    "ExpectationFailed": "fakenet.errors",
    "MissingCapability": "fakenet.errors",
    "InProcessNode": "fakenet.kinds.base",
    "RpcError": "fakenet.errors",
    "WaitTimeout": "fakenet.errors",
    "load_scenario": "fakenet.scenario.loader",
    "run_scenario": "fakenet.scenario.runner",
}
_RENAMED = {"load_scenario": "load", "run_scenario": "run"}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'fakenet' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__():
    return __all__
