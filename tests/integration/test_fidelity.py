"""The differential fidelity run against Litecoin Core: no call missing, every difference explained."""

import pytest

from support.real_nodes import require_litecoind

from fakenet import fidelity


@pytest.mark.slow
def test_fidelity_against_litecoin_core_has_no_missing_or_unexplained_rows(tmp_path):
    require_litecoind()
    lines = []
    out = tmp_path / "FIDELITY.md"
    code = fidelity.run(out, progress=lines.append)
    table = out.read_text()
    assert code == 0, "rows missing or differing without a reason:\n" + "\n".join(
        line for line in table.splitlines() if "missing |" in line or "UNEXPLAINED" in line)
