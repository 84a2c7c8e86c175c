"""The SnapStart hooks: registered only where Lambda snapshots, they make clients and nothing unique."""

from __future__ import annotations

import importlib
import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pforte.aws import clients, snapstart


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Callable[..., Any]]]:
    """A stand-in for snapshot_restore_py (the runtime's library) that records what is registered."""
    registered: dict[str, list[Callable[..., Any]]] = {"before": [], "after": []}
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_before_snapshot = registered["before"].append  # type: ignore[attr-defined]
    fake.register_after_restore = registered["after"].append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    return registered


@pytest.fixture
def fresh_clients() -> Iterator[None]:
    clients.reset()
    yield
    clients.reset()


def test_nothing_is_registered_before_python_3_12(hooks: dict[str, list[Callable[..., Any]]]) -> None:
    assert snapstart.register((3, 11)) is False
    assert hooks == {"before": [], "after": []}


def test_python_3_12_and_later_register_both_hooks(hooks: dict[str, list[Callable[..., Any]]]) -> None:
    assert snapstart.register((3, 13)) is True
    assert hooks == {"before": [snapstart.warm_clients], "after": [snapstart.reseed]}


@pytest.mark.usefixtures("fresh_clients")
def test_the_hook_makes_the_clients_of_the_loaded_handler() -> None:
    importlib.import_module("exports.handler")
    made = snapstart.warm_clients()
    assert set(snapstart.CLIENTS["exports.handler"]) <= set(made)
    for name in made:
        assert getattr(clients, name).cache_info().currsize == 1, name
    # Made once: the request after the restore finds the same client.
    assert clients.sqs() is clients.sqs()


def test_a_restored_environment_draws_its_own_random_numbers() -> None:
    random.seed(1234)
    snapshot_state = random.getstate()
    snapstart.reseed()
    assert random.getstate() != snapshot_state
