"""submitheader's decoding as bitcoin-core's DecodeHexBlockHeader: whole hex bytes, at least a
header's worth (a whole block is cut to its header), else -22 "Block header decode failed"."""

import pytest

from fakenet.node.rpc.errors import RpcFailure
from fakenet.node.rpc.mining import DESERIALIZATION_ERROR, decode_header


def test_a_header_or_a_whole_block_decodes_to_its_80_header_bytes():
    header = bytes(range(80))
    assert decode_header(header.hex()) == header
    assert decode_header((header + b"\x01\x02").hex().upper()) == header


@pytest.mark.parametrize("bad", ["", "ff" * 79, "xx" * 80, "f" * 161, "00 " * 80, " " + "00" * 80, 80, None])
def test_anything_else_is_a_decode_failure(bad):
    with pytest.raises(RpcFailure) as failure:
        decode_header(bad)
    if isinstance(bad, str):
        assert (failure.value.code, failure.value.message) == (DESERIALIZATION_ERROR, "Block header decode failed")
