"""Background: a function on a thread, its result or its exception handed back."""

from __future__ import annotations

import threading

import pytest

from paperlab.background import Background


def test_the_result_comes_back_from_another_thread() -> None:
    ran_on: list[str] = []

    def work() -> int:
        ran_on.append(threading.current_thread().name)
        return 42

    job = Background(work)
    assert job.result() == 42 and job.result() == 42
    assert ran_on == ["paperlab-background"]


def test_what_the_work_raised_is_raised_by_result() -> None:
    def work() -> int:
        raise ValueError("broken")

    job = Background(work)
    job.wait()  # ends without raising
    with pytest.raises(ValueError, match="broken"):
        job.result()


def test_the_work_runs_while_the_caller_goes_on() -> None:
    release = threading.Event()
    job = Background(lambda: release.wait(5))
    release.set()  # the caller's own work; the job was waiting on it
    assert job.result() is True
