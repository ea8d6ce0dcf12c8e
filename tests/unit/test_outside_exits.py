"""A node kind names the exit codes by which its node says its environment failed it
(NodeKind.outside_exits): such an exit is the infrastructure's fault in a verdict, not the system's."""

from fakenet import kinds
from fakenet.harness import ended
from fakenet.node import code_gone


def test_an_exit_the_kind_names_is_from_outside_and_says_what_happened():
    ending = ended.from_returncode("node2", 74, {74: "because its code's files were removed under it"})
    assert ending.outside
    assert ending.sentence() == ("node2 exited with code 74 because its code's files were removed under it, "
                                 "and no step stopped it")


def test_any_other_exit_is_the_nodes_own():
    ending = ended.from_returncode("node2", 1, {74: "because its code's files were removed under it"})
    assert not ending.outside and "by itself" in ending.sentence()
    assert not ended.from_returncode("node2", 74).outside, "a kind that names no exit: every exit is the node's"


def test_the_fakenet_kind_names_the_exit_its_node_makes_when_its_code_is_gone():
    # The harness does not import the node, so the number is written twice: they must agree.
    assert set(kinds.get("fakenet").outside_exits) == {code_gone.EXIT_CODE}
