"""The one default among a contact's items of a kind (its default billing address, its default
bank account): the rule both parts follow, so that a kind with items always has exactly one; and
what a write of such a list stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, Self, TypeVar


def default_after(newest_first: Sequence[str], current: str | None, chosen: str | None = None) -> str | None:
    """Which of the ids (newest first) is the default after a change: the one chosen, else the
    current default while it is still there, else the newest (the first item of a kind, or the
    newest other one once the default is deleted); None when there are none."""
    if chosen is not None and chosen in newest_first:
        return chosen
    if current is not None and current in newest_first:
        return current
    return newest_first[0] if newest_first else None


class Versioned(Protocol):
    id: str
    version: int

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self: ...


Item = TypeVar("Item", bound=Versioned)


def differences(read: Sequence[Item], after: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """What a write of `after` over `read` stores: the new and changed items (a changed one with
    its version moved on), and the removed ones as read."""
    before = {item.id: item for item in read}
    kept = {item.id for item in after}
    changed = []
    for item in after:
        previous = before.get(item.id)
        if previous is None:
            changed.append(item)
        elif item != previous:
            changed.append(item.model_copy(update={"version": previous.version + 1}))
    return changed, [item for item in read if item.id not in kept]
