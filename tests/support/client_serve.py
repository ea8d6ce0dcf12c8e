"""Serve a client driver script (`call(*words)`) over stdin/stdout: one JSON line in, one out.

Run with a client venv's python by support/client_driver.py:

    python client_serve.py path/to/drive.py

Each line in is a JSON list of the words the script takes on its command line; each line out is
{"result": ...} or {"error": traceback}. Whatever the library prints goes to stderr, so it can
never be read as an answer. Standard library only: it runs in venvs that have nothing of ours.
"""

import contextlib
import importlib.util
import json
import sys
import traceback


def main(script: str) -> None:
    spec = importlib.util.spec_from_file_location("client_drive", script)
    drive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drive)
    answers = sys.stdout
    for line in sys.stdin:
        try:
            with contextlib.redirect_stdout(sys.stderr):
                answer = {"result": drive.call(*json.loads(line))}
        except Exception:  # the test reads the traceback; the next call is served as usual
            answer = {"error": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main(sys.argv[1])
