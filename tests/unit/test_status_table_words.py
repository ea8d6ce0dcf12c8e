"""The status table prints a node's words as the node said them: rich's emoji codes are off, so an
error that reads ":x:" is not drawn as a cross (and `up` does not load rich's table of 3,600 codes)."""


def test_the_status_table_shows_a_nodes_words_as_they_are_not_emoji_codes(capsys):
    from fakenet import cli
    from fakenet.netstatus import NodeStatus

    cli._print_table("p", [NodeStatus("node", "exited", error="down :x: at :warning:")])
    assert "down :x: at :warning:" in capsys.readouterr().out
