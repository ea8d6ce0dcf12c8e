"""The options a Compose verb is given through `./fake`, checked by Compose itself before it runs.

Compose's own complaint about a bad option (`unknown shorthand flag: 'x' in -x`) named neither fake
nor the verb nor where its options are listed, and `./fake down -x` printed only that. Compose is asked
to parse the options with `--help` after them: its parser then stops at the help, having read no
project file and asked no engine (~15 ms), and says what it refused. Only the words Compose parses
as its own are given: those of `exec` and `run` end at the service, after which come the command's
own (`exec node cli -getinfo`), which a `--help` there would run.
"""

from __future__ import annotations

import subprocess

HELP = frozenset({"-h", "--help"})
# Compose's options that take a value, for the verbs whose first word is a service: what follows them is
# not the service's name.
SERVICE_VERB_VALUE_OPTIONS = {"exec": {"-e", "--env", "-u", "--user", "-w", "--workdir", "--index"},
                              "run": {"-e", "--env", "-u", "--user", "-w", "--workdir", "--entrypoint",
                                      "-l", "--label", "-v", "--volume", "-p", "--publish", "--name"}}


def service_at(args: list[str]) -> int | None:
    """Where the service `exec` or `run` names stands in args, past the verb's options and their values."""
    values = SERVICE_VERB_VALUE_OPTIONS.get(args[0]) if args else None
    if values is None:
        return None
    index = 1
    while index < len(args):
        if args[index] in values:
            index += 1
        elif not args[index].startswith("-"):
            return index
        index += 1
    return None


def own_words(args: list[str]) -> list[str]:
    """The words after the verb that Compose parses as its own options and their values (and services)."""
    end = service_at(args) if args[0] in SERVICE_VERB_VALUE_OPTIONS else None
    return args[1:end]


def asks_help(args: list[str]) -> bool:
    return bool(HELP & set(own_words(args)))


# Options every Compose v2 takes for these verbs, as README's commands give them: not asked about. The
# check is a process of Compose's own (~15 ms), and `up -d` is the start-up `./fake bench` times (issue 28).
TAKEN = {"up": frozenset({"-d", "--detach"}), "down": frozenset({"-v", "--volumes"}),
         "logs": frozenset({"-f", "--follow"})}


def refused(compose: str, args: list[str]) -> str:
    """Compose's complaint about the options in args (verb first), or "" where it takes them (or none are given)."""
    words = own_words(args)
    options = {word for word in words if word.startswith("-")}
    if not options or options <= TAKEN.get(args[0], frozenset()):  # the rest are services: flags that take none
        return ""
    result = subprocess.run([compose, args[0], *words, "--help"], capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    return "" if result.returncode == 0 else (lines[-1] if lines else f"compose {args[0]} refused {' '.join(words)}")


def options_text(compose: str, verb: str) -> str:
    """The lines under `Options:` in Compose's help for a verb ("" where it has none)."""
    result = subprocess.run([compose, verb, "--help"], capture_output=True, text=True)
    _, heading, options = result.stdout.partition("Options:\n")
    return options.rstrip() if heading else ""
