"""Secrets out of everything a bundle holds: a bundle is attached to CI runs and bug reports.

A value is secret when its key says so (RPC passwords, the cluster secret, identity private keys,
cookies, tokens). Every secret value found that way is then scrubbed from all other text too —
a node that logs its own command line must not leak what its config hid.

A secret that is also a word the bundle needs (the development password "fakenet" is the kind's
name too) is removed from configs but never scrubbed from text: a manifest reading
`"kind": "<removed>"` helps no one, and a secret that is a common word protects nothing. Such
secrets are listed in `weak`, and the bundle says so.
"""

from __future__ import annotations

import re

SECRET_KEY = re.compile(r"pass(word)?|secret|priv|token|cookie|credential", re.IGNORECASE)
REMOVED = "<removed>"
MIN_SECRET = 6  # shorter values ("1", "yes") would blank out ordinary text wherever they occur
NODE_NAME = re.compile(r"node\d*")
WORDS = {"fakenet", "litecoin", "regtest", "compose", "docker", "local", "hosts", "sim", "bitcoin", "password"}


def needed_word(value: str) -> bool:
    """Kind, backend and node names, and the words of fakenet's own output."""
    from fakenet import kinds
    from fakenet.harness.backends import NAMES

    word = value.strip().lower()
    return word in WORDS or word in kinds.names() or word in NAMES or bool(NODE_NAME.fullmatch(word))


class Redactor:
    def __init__(self):
        self.secrets: set[str] = set()
        self.weak: set[str] = set()  # secrets that are words the output needs: never scrubbed from text

    def mapping(self, value):
        """A copy of a config (dicts, lists, `KEY=value` strings) with secret values removed."""
        if isinstance(value, dict):
            return {key: self._secret(value[key]) if SECRET_KEY.search(str(key)) else self.mapping(value[key])
                    for key in value}
        if isinstance(value, (list, tuple)):
            return [self.mapping(item) for item in value]
        if isinstance(value, str) and "=" in value:
            key, _, rest = value.partition("=")
            if SECRET_KEY.search(key):
                return f"{key}={self._secret(rest)}"
        return value

    def _secret(self, value) -> str:
        for text in _strings(value):
            if needed_word(text):
                self.weak.add(text)
            elif len(text) >= MIN_SECRET:
                self.secrets.add(text)
        return REMOVED

    def text(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REMOVED)
        return text


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
