"""A function's cold start: no garbage collection while its handler loads.

Loading a handler creates a few hundred thousand objects (modules, classes, pydantic and botocore
models), none of them garbage, yet CPython's collector walks the young ones every 700 allocations
and the whole heap now and then: measured here, 15-25 % of an API function's import. Each
function's package (`contacts/__init__.py`, ...) pauses the collector before its handler imports
anything; wrapping the handler (`pforte.core.observability`), which a handler module does last,
resumes it. Resuming first moves everything loaded into the permanent generation (`gc.freeze`), so
no later collection walks the loaded modules again.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collection() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection() -> None:
    """Resume what `pause_collection` paused; nothing if it paused nothing (a collector off for
    another reason stays off)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
