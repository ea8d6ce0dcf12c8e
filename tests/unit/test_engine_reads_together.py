"""engine_reads.together: `./fake up`'s questions before compose, asked at once (issue 28), their
answers in the order asked, and the first failure in that order raised once all have ended."""

import threading

import pytest

from fakenet import engine_reads


def test_the_questions_are_asked_at_once_and_answered_in_their_order():
    # Each waits for all three to have started: asked one after another, the first would wait out the barrier.
    met = threading.Barrier(3, timeout=5)

    def question(answer):
        def ask():
            met.wait()
            return answer
        return ask

    assert engine_reads.together(question("a"), question("b"), question("c")) == ["a", "b", "c"]


def test_the_first_failure_in_the_order_given_is_raised_after_every_question_ended():
    ended, released = [], threading.Event()

    def fails(message):
        def ask():
            ended.append(message)
            if message == "second":
                released.set()
            raise ValueError(message)
        return ask

    def slow():  # still running when the first failure is known, until the last question has failed too
        assert released.wait(5)
        ended.append("slow")

    with pytest.raises(ValueError, match="first"):
        engine_reads.together(fails("first"), slow, fails("second"))
    assert sorted(ended) == ["first", "second", "slow"]


def test_the_engine_is_asked_for_its_info_once():
    asked = []

    class Engine:
        def get(self, path, **query):
            asked.append(path)
            return {"Driver": "overlay2"}

    reads = engine_reads.SocketReads(Engine(), client=None)
    assert reads.info() == reads.info() == {"Driver": "overlay2"}
    assert asked == ["/info"]


def test_a_ctrl_c_during_the_first_question_is_raised_at_once_not_after_the_others():
    """The first question is asked on the caller's thread, where a Ctrl-C lands: held until every other
    question had ended, it waited out an engine that did not answer (60 s, engine_socket.TIMEOUT)."""
    import time

    released = threading.Event()

    def interrupted():
        raise KeyboardInterrupt

    def hung():  # an engine that does not answer, until the test is done
        released.wait(10)

    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            engine_reads.together(interrupted, hung)
        assert time.monotonic() - started < 5, "the Ctrl-C waited for the other question"
    finally:
        released.set()
