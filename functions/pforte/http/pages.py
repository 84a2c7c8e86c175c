"""A list route's paging: the `limit` and `cursor` it reads, and the page it answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler.openapi.params import Query

from pforte.core.model import Model
from pforte.core.pagination import MAX_PAGE_SIZE, Page, encode_cursor

PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
PageCursor = Annotated[str | None, Query(max_length=200)]

T = TypeVar("T")
P = TypeVar("P", bound=Model)


def page_out(model: type[P], page: Page[T], out: Callable[[T], Any]) -> P:
    """The answer for one page: its items as the API shows them, and the cursor that continues it."""
    return model(items=[out(item) for item in page.items], next_cursor=encode_cursor(page.after))
