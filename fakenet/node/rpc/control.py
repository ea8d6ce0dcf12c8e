"""Control RPCs: help and stop."""

from __future__ import annotations

from fakenet.node.rpc.dispatch import Registry


def register(registry: Registry, node) -> None:
    @registry.method
    async def help(command=None):
        """List all commands, or get help for a specified command."""
        await registry.settled()  # the stream layer's methods too, once they are there
        return registry.help(command)

    @registry.method
    async def stop():
        """Request a graceful shutdown of the node."""
        node.request_stop()
        return "fakenet server stopping"
