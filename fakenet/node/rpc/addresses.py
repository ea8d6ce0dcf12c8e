"""Regtest addresses → output scripts, with python-bitcoinlib's bech32 and base58 codecs.

Not through `bitcoin.wallet`: it imports `bitcoin.core.key`, which looks for libssl with
ctypes.util.find_library (subprocesses) and adds over a second to every node's start-up.
"""

from __future__ import annotations

from bitcoin import RegTestParams
from bitcoin.base58 import Base58ChecksumError, CBase58Data, InvalidBase58Error
from bitcoin.core.script import OP_0, OP_1, OP_CHECKSIG, OP_DUP, OP_EQUAL, OP_EQUALVERIFY, OP_HASH160, CScript
from bitcoin.segwit_addr import decode as decode_segwit


# BIP-173's longest bech32 string (base58 addresses are shorter); bitcoin-core refuses longer text
# unread. Both codecs read through one big integer, quadratic in the length: a 5 MB address held
# the node's event loop for hours.
MAX_ADDRESS = 90


class InvalidAddress(ValueError):
    pass


def _segwit(address: str) -> CScript | None:
    version, program = decode_segwit(RegTestParams.BECH32_HRP, address)
    if version is None:
        return None
    return CScript([OP_0 if version == 0 else OP_1 + version - 1, bytes(program)])


def _base58(address: str) -> CScript:
    try:
        data = CBase58Data(address)
    except (Base58ChecksumError, InvalidBase58Error, ValueError) as exc:
        raise InvalidAddress(address) from exc
    prefixes = RegTestParams.BASE58_PREFIXES
    if data.nVersion == prefixes["PUBKEY_ADDR"] and len(data) == 20:
        return CScript([OP_DUP, OP_HASH160, bytes(data), OP_EQUALVERIFY, OP_CHECKSIG])
    if data.nVersion == prefixes["SCRIPT_ADDR"] and len(data) == 20:
        return CScript([OP_HASH160, bytes(data), OP_EQUAL])
    raise InvalidAddress(address)


def script_for(address: str) -> bytes:
    """The scriptPubKey paying a regtest address (bech32 bcrt1…, or base58 m/n/2…)."""
    if not isinstance(address, str) or not address or len(address) > MAX_ADDRESS:
        raise InvalidAddress(address[:MAX_ADDRESS] if isinstance(address, str) else address)
    segwit = _segwit(address) if address.lower().startswith(RegTestParams.BECH32_HRP + "1") else None
    return bytes(segwit if segwit is not None else _base58(address))
