"""`cli`'s command line read as bitcoin-cli's ArgsManager reads it (measured against litecoin-cli 0.21):

- `-X`, `-X=value`, `--X`; `-noX` is `-X=0` (and `-noX=0` is `-X`); the first word that is not an
  option (or a negative number) is the method.
- A flag is on when given bare or with a value that reads as a non-zero integer ("0", "false",
  "no" are off: InterpretBool), so `-rpcwait=0` waits for nothing.
- A number given bare is 0 (`-rpcclienttimeout` alone: no timeout), as GetIntArg reads "".
- An option bitcoin-cli does not know is refused with the word as typed ("Invalid parameter
  -nosuchopt=5"), never ignored: an ignored `-rpcprot=6434` asked the default port.
"""

from __future__ import annotations

import difflib
import re

# Options this cli reads. -rpcwaittimeout is bitcoin-cli 22's (litecoin-cli 0.21 has -rpcwait alone).
FLAGS = ("getinfo", "healthcheck", "named", "rpcwait", "stdin", "stdinrpcpass", "version")
VALUES = ("datadir", "conf", "rpcconnect", "rpcport", "apiport", "rpcuser", "rpcpassword", "rpccookiefile",
          "rpcwaittimeout", "rpcclienttimeout")
# bitcoin-cli's options that mean nothing against one fakenet node (one chain, no wallets): taken, so a
# miner's or a script's command line works unchanged.
TAKEN = ("regtest", "testnet", "signet", "signetchallenge", "signetseednode", "chain", "rpcwallet")
# bitcoin-cli's options that do something this cli does not: refused by name, not ignored.
NOT_HERE = ("netinfo", "generate", "addrinfo", "stdinwalletpassphrase")
HELP = ("h", "help", "?")
KNOWN = FLAGS + VALUES + TAKEN + HELP
LONGEST_WAIT = 10**9  # seconds: past this a socket timeout overflows; nobody means more


class Options:
    def __init__(self, argv: list[str]):
        self.values: dict[str, str] = {}
        self.typed: dict[str, str] = {}  # key -> the word as typed, for messages
        rest = list(argv)
        while rest and rest[0].startswith("-") and not rest[0].lstrip("-")[:1].isdigit():
            word = rest.pop(0)
            key, equals, value = word.lstrip("-").partition("=")
            if key.startswith("no") and key[2:] in KNOWN:  # -noX: X off; -noX=0: X on
                key, value = key[2:], "1" if equals and not _true(value) else "0"
            self.values[key], self.typed[key] = value, word
        self.rest = rest

    def problem(self) -> str | None:
        """bitcoin-cli's refusal of an option it does not know, with the nearest of ours; None if all known."""
        for key, word in self.typed.items():
            if key in NOT_HERE:
                return f"error: -{key} is bitcoin-cli's but not supported by fakenet's cli; `cli -h` for usage"
            if key not in KNOWN:
                # difflib, not fakenet.suggest: the node imports nothing outside fakenet.node (its image
                # carries that alone; tests/unit/test_architecture.py)
                close = difflib.get_close_matches(key, FLAGS + VALUES + TAKEN, n=1, cutoff=0.6)
                hint = f" (did you mean -{close[0]}?)" if close else ""
                return f"Error parsing command line arguments: Invalid parameter {word}{hint}"
        return None

    def flag(self, key: str) -> bool:
        return key in self.values and _true(self.values[key])

    def get(self, key: str) -> str | None:
        """A value option's text; None when not given or given empty (the setting's other sources then)."""
        return self.values.get(key) or None

    def seconds(self, key: str, default: int) -> int:
        if key not in self.values:
            return default
        text = self.values[key] or "0"
        if not (text.isascii() and text.isdigit()) or int(text) > LONGEST_WAIT:
            raise SystemExit(f"error: -{key} wants whole seconds, 0 to {LONGEST_WAIT:,}: {text}")
        return int(text)

    def help(self) -> bool:
        return any(key in self.values for key in HELP)


_LEADING_INTEGER = re.compile(r"\s*[+-]?([0-9]+)")


def _true(text: str) -> bool:
    """InterpretBool: empty is true, else the leading integer is non-zero ("false" and "no" read 0)."""
    if text == "":
        return True
    number = _LEADING_INTEGER.match(text)
    return number is not None and int(number.group(1)) != 0
