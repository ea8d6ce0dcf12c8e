"""A node whose code folder is removed while it runs (fakenet/node/code_gone.py): its next import of a
module it had not loaded ends it with one logged line naming the folder, not a traceback per request."""

import subprocess
import sys
import textwrap

from fakenet.node import code_gone

# A process as a node is: the node's logging, the finder installed, a module it imports only later.
CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from fakenet.node import code_gone, logs
    import lazycode
    code_gone.install(logs.setup("node7"), [(lazycode.__path__[0], "__init__.py")])
    try:
        import lazycode.optional_missing  # never there: an import that fails as it always did
    except ImportError:
        print("optional import failed as before", flush=True)
    print("ready", flush=True)
    sys.stdin.readline()
    import lazycode.later  # its folder is gone by now
    print("imported", flush=True)
""")


def test_a_node_whose_code_is_removed_says_so_in_one_line_at_its_next_import_and_exits(tmp_path):
    package = tmp_path / "code" / "lazycode"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "later.py").write_text("LOADED = True\n")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "code")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "optional import failed as before\n"
        assert child.stdout.readline() == "ready\n"
        for path in sorted(package.iterdir()):  # the host copy removed under the running node
            path.unlink()
        package.rmdir()
        out, err = child.communicate("go\n", timeout=60)
    finally:
        child.kill()
    assert child.returncode == code_gone.EXIT_CODE, (child.returncode, out, err)
    assert "imported" not in out and "Traceback" not in err, err
    (line,) = err.splitlines()
    assert "event=code_gone" in line and f"path={package}" in line and "module=lazycode.later" in line, line


def test_the_finder_finds_nothing_while_the_code_is_there(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    finder = code_gone.CodeGone(None, [(str(tmp_path), "__init__.py")])  # no log: it must not be used
    assert finder.find_spec("not_a_module_anywhere") is None
    assert code_gone.missing(code_gone.roots()) is None
