"""Unsigned LEB128 varints, as protobuf and multiformats write lengths and codes: one writer for
the PeerID, UnixFS and CAR encoders that write them by hand (multiformats' checked calls cost
start-up time and per-event CPU). Readers stay with their formats: each raises its own error."""


def encode(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)
