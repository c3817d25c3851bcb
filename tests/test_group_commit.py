"""Group commit: a row is answered only once the write holding it returned, and only with its own fate."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import pytest

from webhooks.group_commit import GroupCommitter, NotWritten


class HeldWriter:
    """A writer that records each group, and holds the first one until the test lets it go."""

    def __init__(self, outcome: object = "written") -> None:
        self.groups: list[list[str]] = []
        self.entered = threading.Event()
        self.proceed = threading.Event()
        self.outcome = outcome

    def __call__(self, rows: Sequence[str]) -> list[object]:
        self.groups.append(list(rows))
        self.entered.set()
        assert self.proceed.wait(5)
        return [self.outcome_for(row) for row in rows]

    def outcome_for(self, row: str) -> object:
        return ValueError(f"{row} refused") if row.startswith("bad") else f"{row} {self.outcome}"


class Submission:
    """One row submitted from its own thread, as one request of a threaded server."""

    def __init__(self, committer: GroupCommitter[str, object], row: str) -> None:
        self.result: object = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(committer, row))
        self.thread.start()

    def _run(self, committer: GroupCommitter[str, object], row: str) -> None:
        try:
            self.result = committer.submit(row)
        except BaseException as exc:
            self.error = exc

    def answered(self, timeout: float = 5) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()


def queued(committer: GroupCommitter[str, object], rows: int) -> bool:
    """Wait until this many rows wait for the committer (it is busy with an earlier group)."""
    for _ in range(500):
        if len(committer._state.queue) == rows:
            return True
        threading.Event().wait(0.01)
    return False


@pytest.fixture
def writer() -> HeldWriter:
    return HeldWriter()


@pytest.fixture
def committer(writer: HeldWriter):
    committer: GroupCommitter[str, object] = GroupCommitter(writer, wait_timeout=5)
    yield committer
    writer.proceed.set()
    committer.close()


def test_a_row_is_answered_only_once_its_write_has_returned(committer, writer):
    submission = Submission(committer, "a")
    assert writer.entered.wait(5)

    assert not submission.answered(timeout=0.2)
    writer.proceed.set()

    assert submission.answered()
    assert submission.result == "a written"


def test_rows_that_arrive_during_a_write_share_the_next_one(committer, writer):
    first = Submission(committer, "a")
    assert writer.entered.wait(5)
    others = [Submission(committer, row) for row in ("b", "c", "d")]
    assert queued(committer, 3)

    writer.proceed.set()

    assert all(s.answered() for s in [first, *others])
    assert len(writer.groups) == 2
    assert writer.groups[0] == ["a"]
    assert sorted(writer.groups[1]) == ["b", "c", "d"]
    assert [s.result for s in others] == ["b written", "c written", "d written"]


def test_a_row_the_writer_refuses_fails_alone(committer, writer):
    first = Submission(committer, "a")
    assert writer.entered.wait(5)
    good, bad = Submission(committer, "b"), Submission(committer, "bad-c")
    assert queued(committer, 2)

    writer.proceed.set()

    assert first.answered() and good.answered() and bad.answered()
    assert good.result == "b written"
    assert isinstance(bad.error, NotWritten)
    assert "bad-c refused" in str(bad.error)


def test_a_writer_that_raises_fails_its_group_and_the_committer_goes_on():
    calls: list[list[str]] = []

    def write(rows: Sequence[str]) -> list[str]:
        calls.append(list(rows))
        if len(calls) == 1:
            raise ConnectionError("database gone")
        return [f"{row} written" for row in rows]

    committer: GroupCommitter[str, str] = GroupCommitter(write, wait_timeout=5)
    try:
        with pytest.raises(NotWritten, match="database gone"):
            committer.submit("a")
        assert committer.submit("b") == "b written"
    finally:
        committer.close()


class Abort(BaseException):
    """Something that is not an error of the write (as KeyboardInterrupt is not)."""


def test_a_leader_interrupted_mid_write_still_hands_on_the_lead():
    entered, proceed = threading.Event(), threading.Event()
    calls: list[list[str]] = []

    def write(rows: Sequence[str]) -> list[str]:
        calls.append(list(rows))
        if len(calls) == 1:
            entered.set()
            assert proceed.wait(5)
            raise Abort
        return [f"{row} written" for row in rows]

    committer: GroupCommitter[str, object] = GroupCommitter(write, wait_timeout=5)
    interrupted = Submission(committer, "a")
    assert entered.wait(5)
    behind = Submission(committer, "b")
    assert queued(committer, 1)
    proceed.set()

    assert interrupted.answered() and behind.answered()
    assert isinstance(interrupted.error, Abort)
    assert behind.result == "b written"
    assert committer.submit("c") == "c written"
    committer.close()


def test_a_row_still_unanswered_after_the_timeout_is_refused_rather_than_waited_for(writer):
    committer: GroupCommitter[str, object] = GroupCommitter(writer, wait_timeout=0.2)
    stuck = Submission(committer, "a")
    assert writer.entered.wait(5)
    try:
        with pytest.raises(NotWritten, match="not written within"):
            committer.submit("b")
    finally:
        writer.proceed.set()
        assert stuck.answered()
        committer.close()
    assert writer.groups == [["a"]]


def test_a_lone_row_is_written_by_its_own_thread_with_no_hand_off():
    writers: list[threading.Thread] = []

    def write(rows: Sequence[str]) -> list[str]:
        writers.append(threading.current_thread())
        return [f"{row} written" for row in rows]

    committer: GroupCommitter[str, str] = GroupCommitter(write)

    assert committer.submit("a") == "a written"
    assert writers == [threading.current_thread()]


def test_rows_arriving_one_at_a_time_do_not_wait_for_company(writer):
    naps: list[float] = []
    committer: GroupCommitter[str, object] = GroupCommitter(writer, linger=0.001, sleep=naps.append)
    writer.proceed.set()

    assert [committer.submit(row) for row in ("a", "b")] == ["a written", "b written"]
    assert naps == []
    committer.close()


def test_once_rows_arrive_together_the_next_leader_waits_for_company(writer):
    naps: list[float] = []
    committer: GroupCommitter[str, object] = GroupCommitter(writer, linger=0.001, sleep=naps.append)
    first = Submission(committer, "a")
    assert writer.entered.wait(5)
    together = [Submission(committer, row) for row in ("b", "c")]
    assert queued(committer, 2)
    writer.proceed.set()
    assert all(s.answered() for s in [first, *together])
    assert naps == []

    committer.submit("d")

    assert naps == [0.001]
    committer.close()


def test_rows_queued_before_close_are_written_and_later_ones_refused(committer, writer):
    first = Submission(committer, "a")
    assert writer.entered.wait(5)
    second = Submission(committer, "b")
    assert queued(committer, 1)

    closing = threading.Thread(target=committer.close)
    closing.start()
    writer.proceed.set()
    closing.join(5)

    assert first.result == "a written" and second.result == "b written"
    with pytest.raises(NotWritten):
        committer.submit("c")


def test_a_forked_child_gets_a_committer_of_its_own():
    committer: GroupCommitter[str, str] = GroupCommitter(
        lambda rows: [f"{row} in {os.getpid()}" for row in rows]
    )
    try:
        assert committer.submit("parent") == f"parent in {os.getpid()}"
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # the child: its parent's committer thread did not come along
            os.close(read_end)
            try:
                answer = committer.submit("child")
            except BaseException as exc:
                answer = f"failed: {exc!r}"
            os.write(write_end, answer.encode())
            os._exit(0)
        os.close(write_end)
        _, status = os.waitpid(child, 0)
        with os.fdopen(read_end, "rb") as pipe:
            answer = pipe.read().decode()

        assert status == 0
        assert answer == f"child in {child}"
    finally:
        committer.close()
