"""A function's handler loads without garbage collection, and leaves it on once loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from infra.template import handler_modules

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"

# For each handler module of template.yaml, in one fresh process: is the collector off once the
# function's package is first imported, on once the handler is, and did it freeze what was loaded?
# (A second handler of a package, imports.worker after imports.handler, loads with the
# collector on: the pause is the package's, once per process.)
PROBE = """
import gc, importlib, json, sys
seen = {}
for module in sys.argv[1:]:
    package = module.split(".")[0]
    if package in sys.modules:
        importlib.import_module(module)
        seen[module] = {"after": gc.isenabled()}
        continue
    importlib.import_module(package)
    during, frozen = gc.isenabled(), gc.get_freeze_count()
    importlib.import_module(module)
    seen[module] = {"during": during, "after": gc.isenabled(), "froze": gc.get_freeze_count() > frozen}
print(json.dumps(seen))
"""


def test_every_handler_loads_with_the_collector_paused_and_resumes_it() -> None:
    modules = sorted(set(handler_modules().values()))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], cwd=FUNCTIONS, capture_output=True, text=True, check=True
    )
    seen = json.loads(result.stdout)
    assert set(seen) == set(modules)
    for module, state in seen.items():
        assert state["after"], f"{module} left garbage collection off"
        if "during" in state:
            assert state["during"] is False, f"{module}'s package did not pause garbage collection"
            assert state["froze"], f"{module} did not freeze what it loaded"
    # Every function's package was imported first by one of them.
    assert sum("during" in state for state in seen.values()) == len({m.split(".")[0] for m in modules})


def test_resuming_without_a_pause_leaves_the_collector_as_it_is() -> None:
    code = (
        "import gc; from pforte.core import startup; gc.disable(); startup.pause_collection(); "
        "startup.resume_collection(); print(gc.isenabled())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=FUNCTIONS, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
