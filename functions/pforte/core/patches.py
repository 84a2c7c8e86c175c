"""Partial updates: the rule every area's PATCH shares (a field left out is kept, null clears it)."""

from __future__ import annotations

from collections.abc import Iterable

from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.model import Model


def refuse_cleared(patch: Model, required: Iterable[str]) -> None:
    """A validation error naming each of the `required` fields the patch sets to null."""
    given = patch.model_fields_set
    cleared = [name for name in required if name in given and getattr(patch, name) is None]
    if cleared:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "The request is not valid.",
            [FieldError(name, "This field is required and cannot be cleared.") for name in cleared],
        )
