"""The node image's hash recalled by its files' stamp (fakenet/image_stamp.py): right whenever a file changes."""

import os

import pytest

import fakenet.image as image
import fakenet.image_stamp as image_stamp
from tests.unit.test_image import checkout  # noqa: F401 - the fixture: a checkout with a node package

BASE = "sha256:base"


@pytest.fixture
def still(checkout, tmp_path, monkeypatch):  # noqa: F811
    """The checkout, with stamps kept however recently its files changed, in a state dir of its own."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(image_stamp, "RACY", 0.0)
    return checkout


def _content(root) -> str:
    return image.content_hash(image.build_inputs(root), BASE)


def test_a_tree_left_alone_is_hashed_once(still, monkeypatch):
    first = image._source_hash(still, BASE)
    monkeypatch.setattr(image, "build_inputs", lambda root: pytest.fail("hashed the content again"))
    assert image._source_hash(still, BASE) == first


def test_an_edit_of_the_same_size_with_the_old_mtime_changes_the_hash(still):
    daemon = still / "fakenet" / "node" / "daemon.py"
    before, stat = image._source_hash(still, BASE), daemon.stat()
    daemon.write_text(daemon.read_text().replace("pass", "None"))  # same size, same inode
    os.utime(daemon, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `tar x` or `touch -r` would leave it
    assert daemon.stat().st_size == stat.st_size
    assert image._source_hash(still, BASE) == _content(still) != before


def test_a_file_added_or_a_base_changed_changes_the_hash(still):
    before = image._source_hash(still, BASE)
    (still / "fakenet" / "node" / "extra.py").write_text("X = 1\n")
    assert image._source_hash(still, BASE) == _content(still) != before
    assert image._source_hash(still, "sha256:other") == image.content_hash(image.build_inputs(still), "sha256:other")


def test_a_tree_changed_just_now_is_hashed_from_its_content_each_time(checkout, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path / "state"))
    image._source_hash(checkout, BASE)  # every file was written a moment ago: within RACY
    assert not (tmp_path / "state" / "image-hashes.json").exists()


def test_an_unreadable_memory_is_no_memory(still, tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "image-hashes.json").write_text("{cut sh")
    assert image._source_hash(still, BASE) == _content(still)
    assert image._source_hash(still, BASE) == _content(still)


def test_a_memory_that_cannot_be_written_is_no_error(still, tmp_path):
    (tmp_path / "state").write_text("a file where the state folder should be")
    assert image._source_hash(still, BASE) == _content(still)


def test_a_file_added_while_the_tree_is_hashed_is_not_remembered_under_the_stamp_without_it(still, monkeypatch):
    """The stamp and the hash are of one listing of the node package: a file that appears between the two
    (an editor's save during `up`) and is removed later must not bring back the hash that had it."""
    extra, stamp = still / "fakenet" / "node" / "extra.py", image_stamp.stamp

    def stamp_then_add(files, base_id):
        stamped = stamp(files, base_id)
        extra.write_text("X = 1\n")  # after the stat of every listed file, before their content is read
        return stamped

    monkeypatch.setattr(image_stamp, "stamp", stamp_then_add)
    image._source_hash(still, BASE)
    monkeypatch.setattr(image_stamp, "stamp", stamp)
    extra.unlink()
    assert image._source_hash(still, BASE) == _content(still)
