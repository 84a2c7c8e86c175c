"""Pages of a list and the opaque cursors that continue them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pforte.core.clock import is_id
from pforte.core.errors import validation_error

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    # The id of the last item handed out while more may follow; None only at the end.
    after: str | None


def encode_cursor(after: str | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(f"v1:{after}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The id a page continues after; a cursor that is not one of ours is a 422, never a 500."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    version, _, after = raw.partition(":")
    if version != "v1" or not is_id(after):
        raise validation_error("cursor", "This cursor is not valid.")
    return after
