"""Ports more than one area uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel


class MessageQueue(Protocol):
    """A queue that a worker reads: each message is sent as its JSON."""

    def enqueue(self, messages: Sequence[BaseModel]) -> None: ...
