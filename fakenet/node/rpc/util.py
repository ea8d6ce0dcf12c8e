"""Util RPCs as bitcoin-core 0.21 answers them: `validateaddress` (regtest addresses: bech32 and base58)."""

from __future__ import annotations

from bitcoin.core import b2x

from fakenet.node.rpc.addresses import InvalidAddress, script_for
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.params import expect


def describe(address: str) -> dict:
    """Core's answer: {"isvalid": false} for anything that is not a regtest address, else its script."""
    try:
        script = script_for(address)
    except InvalidAddress:
        return {"isvalid": False}
    witness = script[0] == 0 or 0x51 <= script[0] <= 0x60
    info = {"isvalid": True, "address": address, "scriptPubKey": b2x(script),
            "isscript": script[0] == 0xA9 or (witness and len(script) == 34), "iswitness": witness}
    if witness:
        info.update(witness_version=0 if script[0] == 0 else script[0] - 0x50, witness_program=b2x(script[2:]))
    return info


def register(registry: Registry, node) -> None:
    @registry.method
    async def validateaddress(address):
        """Return information about the given address."""
        return describe(expect(address, str))
