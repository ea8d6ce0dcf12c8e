"""UniValue's get_int as Litecoin Core 0.21.2 answers it (measured with litecoind -regtest)."""

import pytest

from fakenet.node.rpc.errors import RpcFailure
from fakenet.node.rpc.params import int32


@pytest.mark.parametrize("value", [2**64, 2**31, -(2**31) - 1, 1.5])
def test_out_of_range_is_core_s_minus_one(value):
    with pytest.raises(RpcFailure) as caught:
        int32(value)
    assert (caught.value.code, caught.value.message) == (-1, "JSON integer out of range")


@pytest.mark.parametrize("value", [2**31 - 1, -(2**31), 0])
def test_the_32_bit_range_passes(value):
    assert int32(value) == value


def test_a_string_is_a_type_error_not_a_range_error():
    with pytest.raises(RpcFailure, match="not an integer"):
        int32("x")
