"""The one default among a contact's items of a kind (its default billing address, its default
bank account): the rule both parts follow, so that a kind with items always has exactly one."""

from __future__ import annotations

from collections.abc import Sequence


def default_after(newest_first: Sequence[str], current: str | None, chosen: str | None = None) -> str | None:
    """Which of the ids (newest first) is the default after a change: the one chosen, else the
    current default while it is still there, else the newest (the first item of a kind, or the
    newest other one once the default is deleted); None when there are none."""
    if chosen is not None and chosen in newest_first:
        return chosen
    if current is not None and current in newest_first:
        return current
    return newest_first[0] if newest_first else None
