"""S7 on a real node process: a 0700 data dir of 0600 files, and `cli` without a password argument."""

import os
import stat
import subprocess
import sys

from support import local_nodes as local


def test_data_dir_is_private_and_cli_reads_credentials_from_the_environment(tmp_path, start_nodes):
    (node,) = local.full_mesh(tmp_path, 1)
    node.datadir.mkdir(mode=0o755, parents=True)
    node.datadir.chmod(0o755)
    start_nodes([node], wait_peers=False)
    node.rpc.createstream({"durable": True}, True)  # the state store and its WAL
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in node.datadir.iterdir() if path.is_file()}
    assert stat.S_IMODE(node.datadir.stat().st_mode) == 0o700
    assert {"config", "chain.sqlite", "state.sqlite"} <= modes.keys()
    assert {name: m for name, m in modes.items() if m != 0o600} == {}
    user, password = node.credentials
    env = {**os.environ, "FAKENET_RPCUSER": user, "FAKENET_RPCPASSWORD": password,
           "FAKENET_RPCCONNECT": node.ip, "FAKENET_DATADIR": str(node.datadir)}
    result = subprocess.run([sys.executable, "-m", "fakenet.node.cli", "getblockcount"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "0"), result.stderr
