"""Optimistic concurrency: read, change, write on condition; on a conflict read again and retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Retry(Exception):
    """Raised by an attempt that lost a race (a conditional write failed) and may be tried again."""


def with_retries(
    attempt: Callable[[], T],
    on: type[Exception] | tuple[type[Exception], ...] = Retry,
    attempts: int = 3,
    exhausted: Callable[[], Exception] | None = None,
) -> T:
    """The result of the first of `attempts` calls of `attempt` that raises none of `on`.

    After the last attempt the `on` exception it raised propagates, or `exhausted()` if given
    (without the conflict as its context). Any other exception propagates at once."""
    for _ in range(attempts - 1):
        try:
            return attempt()
        except on:
            continue
    try:
        return attempt()
    except on:
        if exhausted is None:
            raise
    raise exhausted()
