"""The optimistic-retry helper: how often it tries and what surfaces after the last attempt."""

from __future__ import annotations

import pytest

from pforte.core.retry import Retry, with_retries


class Conflict(Exception):
    pass


def failing(times: int, error: type[Exception] = Retry) -> tuple[list[int], object]:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(len(calls))
        if len(calls) <= times:
            raise error
        return "done"

    return calls, attempt


def test_the_first_success_is_returned_without_more_attempts() -> None:
    calls, attempt = failing(0)
    assert with_retries(attempt) == "done"  # type: ignore[arg-type]
    assert len(calls) == 1


def test_conflicts_are_retried_up_to_the_number_of_attempts() -> None:
    calls, attempt = failing(2)
    assert with_retries(attempt) == "done"  # type: ignore[arg-type]
    assert len(calls) == 3


def test_after_the_last_attempt_the_conflict_surfaces() -> None:
    calls, attempt = failing(5, Conflict)
    with pytest.raises(Conflict):
        with_retries(attempt, on=Conflict, attempts=4)  # type: ignore[arg-type]
    assert len(calls) == 4


def test_after_the_last_attempt_the_exhausted_error_surfaces_without_context() -> None:
    calls, attempt = failing(3)
    with pytest.raises(LookupError, match="gone") as raised:
        with_retries(attempt, exhausted=lambda: LookupError("gone"))  # type: ignore[arg-type]
    assert len(calls) == 3
    assert raised.value.__context__ is None


def test_other_errors_are_not_retried() -> None:
    calls, attempt = failing(1, ValueError)
    with pytest.raises(ValueError):  # noqa: PT011
        with_retries(attempt, on=(Conflict, Retry))  # type: ignore[arg-type]
    assert len(calls) == 1
