"""Importing each API handler from the deployed artifact, as Lambda's /var/task holds it.

Lambda unpacks the zip into a read-only /var/task, and SAM zips every file with a 1980 timestamp.
The artifact of `make build` (infra/build.py) is unpacked into such a tree (every mtime 1980-01-01,
`chmod -R a-w`) and each API handler module of template.yaml is imported in fresh processes
(`python -S -P`: the tree and the standard library only, PYTHONDONTWRITEBYTECODE=1), timing the
import itself. Three trees in one run, the same files each:

  (a) the artifact: unchecked hash-based .pyc for every module (what `make build` ships)
  (b) the same tree without any .pyc (what SAM's Python builder ships: compiled on every start)
  (c) a warm cache: a writable copy of (b) into which one import wrote timestamp .pyc files

Also measured, for the choice of invalidation mode: (a) compiled with checked-hash instead, which
makes the interpreter read and hash every source file on import. Reported: medians of BENCH_RUNS
(11) processes per handler and tree; target (a) <= 1.1 x (c). Run with `make bench`.

The artifact is built for this machine's architecture (the template's arm64 native code cannot
load here) and this interpreter's Python version, from the same requirements and code.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import build  # noqa: E402
from infra.template import FUNCTIONS_DIR, api_modules, function_environment, handler_modules  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "11"))
TARGET = 1.1
OUT = ROOT / ".aws-sam" / "bench"
SAM_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the time SAM gives every file of the zip
IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
TREES = {
    "hashed": "(a) artifact: unchecked-hash .pyc",
    "source": "(b) no bytecode (SAM today)",
    "warm": "(c) warm timestamp .pyc cache",
    "checked": "checked-hash .pyc",
}


def runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def architecture() -> str:
    return {"aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "x86_64")


def artifact() -> Path:
    """The artifact for this machine, built again when an input is newer than it."""
    archive = OUT / f"artifact-{runtime()}-{architecture()}.zip"
    inputs = [build.REQUIREMENTS, ROOT / "infra" / "build.py", *FUNCTIONS_DIR.rglob("*.py")]
    if archive.exists() and archive.stat().st_mtime > max(path.stat().st_mtime for path in inputs):
        print(f"reusing {archive.relative_to(ROOT)}")
        return archive
    built = build.build(runtime=runtime(), architecture=architecture(), python=sys.executable, out=OUT)
    built.replace(archive)
    return archive


def unpack(archive: Path, tree: Path, *, bytecode: bool) -> Path:
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tree)
    if not bytecode:
        for cache in sorted(tree.rglob("__pycache__"), reverse=True):
            shutil.rmtree(cache)
    return tree


def as_lambda_unpacks(tree: Path) -> None:
    """Every file and directory dated 1980-01-01 and read-only, as /var/task."""
    for path in [*sorted(tree.rglob("*"), reverse=True), tree]:
        os.utime(path, (SAM_EPOCH, SAM_EPOCH), follow_symlinks=False)
    for path in [*tree.rglob("*"), tree]:
        path.chmod(path.stat().st_mode & ~0o222)


def writable(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


def environment(tree: Path, *, write_bytecode: bool = False) -> dict[str, str]:
    """What a handler reads at import on Lambda (the template's Globals), tracing off as in cold_start.py."""
    placeholders = {name: f"pforte-{name.lower()}" for name in ("Table", "MailQueue", "ExportsQueue")}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **function_environment(placeholders),
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONPATH": str(tree),
    }
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def timed_import(module: str, tree: Path, *, write_bytecode: bool = False) -> float:
    done = subprocess.run(
        [sys.executable, "-S", "-P", "-c", IMPORT.format(module=module)],
        env=environment(tree, write_bytecode=write_bytecode),
        cwd=tree.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def check_origin(module: str, tree: Path) -> None:
    probe = f"import {module} as m, pydantic_core, sys; print(m.__file__); print(pydantic_core.__file__)"
    done = subprocess.run(
        [sys.executable, "-S", "-P", "-c", probe],
        env=environment(tree),
        cwd=tree.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    for path in done.stdout.split():
        assert Path(path).is_relative_to(tree), (module, path)


def main() -> int:
    archive = artifact()
    functions = {module: name for name, module in handler_modules().items() if module in api_modules()}
    modules = sorted(functions, key=lambda module: list(handler_modules().values()).index(module))
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="pforte-bench-") as scratch:
        trees = {kind: Path(scratch, kind, "task") for kind in TREES}
        try:
            unpack(archive, trees["hashed"], bytecode=True)
            for kind in ("source", "warm", "checked"):
                unpack(archive, trees[kind], bytecode=False)
            build.compile_bytecode(trees["checked"], sys.executable, mode="checked-hash")
            for kind in ("hashed", "source", "checked"):
                as_lambda_unpacks(trees[kind])
            for module in modules:
                timed_import(module, trees["warm"], write_bytecode=True)  # writes the cache
                for tree in trees.values():
                    check_origin(module, tree)
                    timed_import(module, tree)  # warms the OS file cache
            # Interleaved, in turns, so that the machine's drift during the run (it is shared)
            # touches every tree alike.
            kinds = list(trees)
            for run in range(RUNS):
                for step, module in enumerate(modules):
                    turn = (run + step) % len(kinds)
                    for kind in kinds[turn:] + kinds[:turn]:
                        times.setdefault((module, kind), []).append(timed_import(module, trees[kind]))
        finally:
            for tree in trees.values():
                if tree.exists():
                    writable(tree)
    median = {key: statistics.median(values) for key, values in times.items()}
    print(
        f"import of each API handler from the artifact in a read-only 1980 tree, median of {RUNS} "
        f"fresh processes ({runtime()}, {architecture()}; target: (a) <= {TARGET} x (c))"
    )
    print(f"{'function':<18} " + " ".join(f"{label:>34}" for label in TREES.values()), end="")
    print(f" {'a/c':>5} {'b/c':>5} {'checked/c':>9} {'a/c paired':>10}")
    missed = False
    for module in modules:
        hashed, source, warm, checked = (median[(module, kind)] for kind in TREES)
        # The median of the ratios of imports measured one after the other, less exposed to drift.
        paired = statistics.median(
            a / c for a, c in zip(times[(module, "hashed")], times[(module, "warm")], strict=True)
        )
        ratio = hashed / warm
        missed |= ratio > TARGET
        cells = " ".join(f"{seconds * 1000:>31.0f} ms" for seconds in (hashed, source, warm, checked))
        mark = "ok" if ratio <= TARGET else "OVER"
        print(
            f"{functions[module]:<18} {cells} {ratio:>5.2f} {source / warm:>5.2f} {checked / warm:>9.2f}"
            f" {paired:>10.2f} {mark}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
