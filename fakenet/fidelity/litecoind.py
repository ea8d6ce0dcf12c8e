"""One Litecoin Core regtest process: temp data dir, free loopback ports, credentials in a conf file.

Debian's `litecoind` is a wrapper script that writes ~/.litecoin before exec'ing the daemon;
the daemon itself is started here, so nothing outside the data dir is touched. Credentials go
in the conf file, never on the command line (where `ps` shows them to every user).
"""

from __future__ import annotations

import ctypes
import secrets
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from fakenet.fidelity.endpoint import Endpoint
from fakenet.harness.waits import wait_for

DAEMON = "/usr/lib/litecoin/litecoind"
CLI = "litecoin-cli"
# BIP173's test program at Litecoin's regtest prefix (fakenet's node uses bitcoin's `bcrt`).
ADDRESS = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3"
RPC_USER = "fidelity"
MWEB_PARKED = "vbparams=mweb:4102444800:4102444801"


def available() -> bool:
    return Path(DAEMON).is_file() and shutil.which(CLI) is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    # Linux: SIGKILL the daemon if its parent dies, so a killed test run leaves no litecoind behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class LitecoinNode:
    """`with LitecoinNode(dir) as node:` starts it and waits for RPC; leaving stops it."""

    def __init__(self, datadir: Path, connect: "LitecoinNode | None" = None):
        self.datadir = Path(datadir)
        self.connect = connect
        self.rpc_port, self.p2p_port = free_port(), free_port()
        self.password = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None

    @property
    def conf_path(self) -> Path:
        return self.datadir / "litecoin.conf"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}/"

    def conf(self) -> str:
        # MWEB would activate at height 432, after which Litecoin Core's generatetoaddress
        # cannot build a block (it needs the HogEx transaction); parked in 2100 it never does.
        lines = ["regtest=1", "server=1", "listen=1", "disablewallet=1", "discover=0", "upnp=0", MWEB_PARKED, "[regtest]",
                 f"rpcuser={RPC_USER}", f"rpcpassword={self.password}", f"rpcport={self.rpc_port}",
                 "rpcbind=127.0.0.1", "rpcallowip=127.0.0.1", f"port={self.p2p_port}", "bind=127.0.0.1"]
        if self.connect:
            lines.append(f"connect=127.0.0.1:{self.connect.p2p_port}")
        return "\n".join(lines) + "\n"

    def command(self) -> list[str]:
        return [DAEMON, f"-datadir={self.datadir}", f"-conf={self.conf_path}"]

    def cli_command(self, *args: str) -> list[str]:
        """`litecoin-cli` reading the same conf (credentials and port), e.g. for -getinfo."""
        return [CLI, f"-datadir={self.datadir}", f"-conf={self.conf_path}", *args]

    def start(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.conf())
        self.conf_path.chmod(0o600)
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=_die_with_parent)
        wait_for(lambda: self.call("getblockcount"), lambda height: height is not None, timeout=60,
                 expected=f"litecoind answers RPC at {self.url}", logs=self.logs)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # a clean shutdown; kill only if it hangs
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "LitecoinNode":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def logs(self, tail: int = 15) -> list[str]:
        try:
            lines = (self.datadir / "regtest" / "debug.log").read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [f"litecoind| {line}" for line in lines[-tail:]]

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.url, RPC_USER, self.password, "litecoind")

    def call(self, method: str, *params):
        return self.endpoint.call(method, *params)

    def wait_peers(self, count: int, timeout: float = 30) -> None:
        wait_for(lambda: self.call("getconnectioncount"), lambda n: n >= count, timeout=timeout,
                 expected=f"litecoind has {count} peer(s)", logs=self.logs)
