"""Secrets out of everything a bundle holds: a bundle is attached to CI runs and bug reports.

A value is secret when its key says so (RPC passwords, the cluster secret, identity private keys,
cookies, tokens). Every secret value found that way is then scrubbed from all other text too —
a node that logs its own command line must not leak what its config hid.
"""

from __future__ import annotations

import re

SECRET_KEY = re.compile(r"pass(word)?|secret|priv|token|cookie|credential", re.IGNORECASE)
REMOVED = "<removed>"
MIN_SECRET = 6  # shorter values ("1", "yes") would blank out ordinary text wherever they occur


class Redactor:
    def __init__(self):
        self.secrets: set[str] = set()

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
        if isinstance(value, str) and len(value) >= MIN_SECRET:
            self.secrets.add(value)
        elif isinstance(value, (dict, list)):
            for text in _strings(value):
                if len(text) >= MIN_SECRET:
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
