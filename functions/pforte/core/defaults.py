"""The one default among a contact's items of a kind (its default billing address, its default
bank account): the rule both parts follow, so that a kind with items always has exactly one; how
such a list is read, paged and marked; and what a write of it stores."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar

from pforte.core.clock import utcnow
from pforte.core.pagination import Page


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


@dataclass(frozen=True)
class OwnedRead(Generic[Item]):
    """A contact's items of one part (newest first) and its counters, as one read found them."""

    items: tuple[Item, ...]
    counters: Mapping[str, int]


def page_after(newest_first: Sequence[Item], after: str | None, limit: int) -> Page[Item]:
    """The items older than the id `after` (ids grow with time), at most `limit` of them."""
    items = [item for item in newest_first if after is None or item.id < after]
    page = items[:limit]
    return Page(page, after=page[-1].id if len(items) > limit else None)


class Defaultable(Versioned, Protocol):
    is_default: bool


Marked = TypeVar("Marked", bound=Defaultable)


def marked(items: Sequence[Marked], defaults: Collection[str]) -> list[Marked]:
    """The items with `is_default` set for exactly the ids in `defaults`; an item whose mark
    changes is updated now."""
    now = utcnow()
    return [
        item
        if item.is_default == (item.id in defaults)
        else item.model_copy(update={"is_default": item.id in defaults, "updated_at": now})
        for item in items
    ]
