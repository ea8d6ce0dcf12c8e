"""scriptPubKey decoding as bitcoin-core 0.21 shows it: asm, type, and for standard outputs
reqSigs and addresses (regtest encodings: bech32 `bcrt1…`, base58 m/n and 2…)."""

from __future__ import annotations

from bitcoin import RegTestParams
from bitcoin.base58 import CBase58Data
from bitcoin.core.script import OP_1, OP_16, OP_1NEGATE, OP_PUSHDATA4, CScript, CScriptInvalidError, CScriptOp
from bitcoin.segwit_addr import encode as encode_segwit


def asm(script: bytes) -> str:
    """ScriptToAsmStr: pushes of up to 4 bytes as numbers, longer ones as hex, opcodes by name."""
    words = []
    try:
        for opcode, data, _ in CScript(script).raw_iter():
            words.append(_push(data) if opcode <= OP_PUSHDATA4 else _op_name(opcode))
    except CScriptInvalidError:
        words.append("[error]")
    return " ".join(words)


def _push(data: bytes) -> str:
    if len(data) > 4:
        return data.hex()
    if not data:
        return "0"
    value = int.from_bytes(data, "little")
    if data[-1] & 0x80:  # CScriptNum: the top bit of the last byte is the sign
        value = -(value & ~(0x80 << 8 * (len(data) - 1)))
    return str(value)


def _op_name(opcode: int) -> str:
    if opcode == OP_1NEGATE:
        return "-1"
    if OP_1 <= opcode <= OP_16:
        return str(opcode - OP_1 + 1)
    return str(CScriptOp(opcode))


def describe(script: bytes) -> dict:
    """The `scriptPubKey` object of a decoded output."""
    kind, address = _classify(bytes(script))
    result = {"asm": asm(script), "hex": bytes(script).hex()}
    if address:
        result.update(reqSigs=1, type=kind, addresses=[address])
    else:
        result["type"] = kind
    return result


def _classify(s: bytes) -> tuple[str, str | None]:
    prefixes = RegTestParams.BASE58_PREFIXES
    if len(s) == 25 and s[:3] == b"\x76\xa9\x14" and s[23:] == b"\x88\xac":
        return "pubkeyhash", str(CBase58Data.from_bytes(s[3:23], prefixes["PUBKEY_ADDR"]))
    if len(s) == 23 and s[:2] == b"\xa9\x14" and s[22:] == b"\x87":
        return "scripthash", str(CBase58Data.from_bytes(s[2:22], prefixes["SCRIPT_ADDR"]))
    if len(s) in (22, 34) and s[0] == 0 and s[1] == len(s) - 2:
        kind = "witness_v0_keyhash" if len(s) == 22 else "witness_v0_scripthash"
        return kind, encode_segwit(RegTestParams.BECH32_HRP, 0, s[2:])
    if s[:1] == b"\x6a":
        return "nulldata", None
    return "nonstandard", None
