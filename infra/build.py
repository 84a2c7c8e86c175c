"""The functions' deployment artifact, with bytecode Lambda can use: `make build`.

No Docker and no SAM CLI: pip installs the pinned runtime requirements (functions/requirements.txt)
as manylinux wheels for the runtime's Python version and the template's architecture (so a build
on any machine holds what Lambda runs), our code (the template's CodeUri) is copied beside them,
and every module, ours and every dependency's, is compiled for that Python version. The result:

    .aws-sam/build/artifact.zip     the code, reproducible (sorted entries, 1980 timestamps)
    .aws-sam/build/template.yaml    template.yaml with CodeUri = artifact.zip, and the runtime and
                                    architecture pinned to the build's; `sam deploy` picks it up

`sam build` runs the same build through the template's `BuildMethod: makefile` (`--dir`).

Why bytecode, and why hash-based: /var/task is read-only, so Python cannot cache what it compiles,
and SAM zips every file with a 1980 timestamp, so timestamp-based .pyc files never match their
source (aws/aws-lambda-builders#924): every cold start compiles boto3, Powertools, pydantic and our
code again. A hash-based .pyc does not depend on timestamps. We use `unchecked-hash`: the interpreter
loads the .pyc without reading and hashing the source, the fastest import there is. That is safe
because nothing can change a source once the zip is built (the package is too large for the Lambda
console's editor, and /var/task is read-only); `checked-hash` would read and hash every source
file on each cold start to guard against an edit that cannot happen.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

from infra.template import FUNCTIONS_DIR, ROOT, load_template

OUT = ROOT / ".aws-sam" / "build"
# `sam build` asks for the same tree once per function: the first build is kept here for the rest.
CACHE = ROOT / ".aws-sam" / "cache"
REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"
TASK_ROOT = "/var/task"  # where Lambda unpacks the zip; the compiled files name their source there
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
# Lambda's operating system per runtime: python3.11 runs on Amazon Linux 2 (glibc 2.26), python3.12
# and later on Amazon Linux 2023 (glibc 2.34). Wheels built for a newer glibc would not load.
GLIBC = {"python3.11": 26, "python3.12": 34, "python3.13": 34}
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "requirements*.txt", "Makefile")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def run(command: list[str], *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=capture, text=True, check=False)  # noqa: S603 - our commands


class BuildError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"make build: {message}")


def template_runtime(template: dict[str, Any]) -> str:
    return str(template["Parameters"]["PythonRuntime"]["Default"])


def template_architecture(template: dict[str, Any]) -> str:
    (architecture,) = template["Globals"]["Function"]["Architectures"]
    return str(architecture)


def check_interpreter(python: str, runtime: str) -> None:
    """The interpreter that compiles the bytecode must be the runtime's version (.pyc is per version)."""
    wanted = runtime.removeprefix("python")
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        done = run([python, "-c", probe], capture=True)
    except OSError:
        done = None
    found = done.stdout.strip() if done and done.returncode == 0 else None
    if found != wanted:
        raise BuildError(
            f"the {runtime} runtime needs bytecode compiled by Python {wanted}, but "
            + (f"'{python}' is Python {found}" if found else f"'{python}' cannot be run")
            + f". Install Python {wanted} or point RUNTIME_PYTHON at one (RUNTIME_PYTHON=/path/to/python{wanted})."
        )


def platforms(runtime: str, architecture: str) -> list[str]:
    """Every manylinux tag the runtime's glibc loads, newest first (pip does not expand them itself)."""
    machine = MACHINES[architecture]
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC[runtime], 16, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def install_requirements(target: Path, runtime: str, architecture: str) -> None:
    version = runtime.removeprefix("python")
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
        *("--no-compile", "--target", str(target), "--requirement", str(REQUIREMENTS)),
        *("--only-binary=:all:", "--implementation", "cp", "--python-version", version),
    ]
    for platform in platforms(runtime, architecture):
        command += ["--platform", platform]
    if run(command).returncode != 0:
        raise BuildError("pip could not install the requirements (see above)")
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: nothing on Lambda runs them


def copy_code(source: Path, target: Path) -> None:
    for entry in sorted(source.iterdir()):
        if entry.name.startswith((".", "__pycache__")) or not (entry.is_dir() or entry.suffix == ".py"):
            continue
        if (target / entry.name).exists():
            raise BuildError(f"{entry.name} in {source} would overwrite the dependency of that name")
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, ignore=SKIPPED)
        else:
            shutil.copy2(entry, target / entry.name)


# Modules a dependency ships that no Python 3 can import (olefile keeps its Python 2 version beside
# the real one). pip skips what it cannot compile; the artifact leaves them out, so that every
# module in it has bytecode.
NOT_PYTHON_3 = ("olefile/olefile2.py",)


def compile_bytecode(tree: Path, python: str, mode: str = "unchecked-hash") -> None:
    for module in NOT_PYTHON_3:
        (tree / module).unlink(missing_ok=True)
    command = [
        *(python, "-m", "compileall", "-q", "-f", "-j", os.environ.get("BUILD_JOBS", "1")),
        *("--invalidation-mode", mode, "-s", str(tree), "-p", TASK_ROOT, str(tree)),
    ]
    if run(command).returncode != 0:
        raise BuildError("compileall failed (see above)")


def check_bytecode(tree: Path, python: str) -> int:
    """Every module has an unchecked hash-based .pyc for the runtime's version; returns the count."""
    probe = "import sys; print(sys.implementation.cache_tag)"
    tag = run([python, "-c", probe], capture=True).stdout.strip()
    missing, count = [], 0
    for source in tree.rglob("*.py"):
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not compiled.is_file():
            missing.append(str(source.relative_to(tree)))
            continue
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        if flags != 0b01:  # bit 0: hash-based; bit 1: check the source
            missing.append(f"{compiled.relative_to(tree)} (flags {flags})")
        count += 1
    if missing:
        raise BuildError(f"modules without unchecked hash-based bytecode: {', '.join(missing[:10])}")
    return count


def write_zip(tree: Path, archive: Path) -> None:
    """Sorted entries with fixed times and modes: the same inputs give the same bytes."""
    partial = archive.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        for path in sorted(tree.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), ZIP_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, path.read_bytes())
    partial.replace(archive)


def decided(conditions: dict[str, Any], runtime: str) -> dict[str, bool]:
    """The template's conditions that depend on the runtime alone, decided for `runtime`."""

    def value(node: Any) -> Any:
        if node == {"Ref": "PythonRuntime"}:
            return runtime
        if isinstance(node, dict | list):
            raise LookupError(node)
        return node

    def holds(node: Any) -> bool:
        if "Condition" in node:
            return holds(conditions[node["Condition"]])
        if "Fn::Not" in node:
            return not holds(node["Fn::Not"][0])
        if "Fn::Equals" in node:
            left, right = (value(side) for side in node["Fn::Equals"])
            return bool(left == right)
        raise LookupError(node)

    found = {}
    for name, expression in conditions.items():
        with contextlib.suppress(LookupError):
            found[name] = holds(expression)
    return found


def pin_runtime(node: Any, runtime: str, conditions: dict[str, bool], *, parameter: bool = True) -> Any:
    """`node` as CloudFormation reads it with PythonRuntime=runtime: its decided conditions' Fn::If
    replaced by their branch and, unless `parameter`, the parameter itself by its value."""
    if isinstance(node, list):
        return [pin_runtime(item, runtime, conditions, parameter=parameter) for item in node]
    if not isinstance(node, dict):
        return node
    if not parameter and node == {"Ref": "PythonRuntime"}:
        return runtime
    if not parameter and set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        return {"Fn::Sub": node["Fn::Sub"].replace("${PythonRuntime}", runtime)}
    if set(node) == {"Fn::If"} and node["Fn::If"][0] in conditions:
        name, then, otherwise = node["Fn::If"]
        return pin_runtime(then if conditions[name] else otherwise, runtime, conditions, parameter=parameter)
    return {key: pin_runtime(value, runtime, conditions, parameter=parameter) for key, value in node.items()}


def write_template(template: dict[str, Any], out: Path, runtime: str, architecture: str) -> None:
    """The template `sam deploy` uses: this artifact, and only the runtime it was compiled for."""
    conditions = decided(template.get("Conditions", {}), runtime)
    built: dict[str, Any] = pin_runtime(copy.deepcopy(template), runtime, conditions)
    for name in conditions:
        del built["Conditions"][name]
    if not built.get("Conditions", True):
        del built["Conditions"]
    built["Globals"]["Function"]["CodeUri"] = "artifact.zip"
    built["Globals"]["Function"]["Architectures"] = [architecture]
    parameter = built["Parameters"]["PythonRuntime"]
    parameter["Default"], parameter["AllowedValues"] = runtime, [runtime]
    text = yaml.safe_dump(built, sort_keys=False, width=120, allow_unicode=True)
    (out / "template.yaml").write_text(
        f"# Written by `make build` from template.yaml.\n{text}", encoding="utf-8"
    )


def inputs_digest(source: Path, *parts: str) -> str:
    """What a build's tree depends on: the requirements, this script, the code, the target."""
    digest = hashlib.sha256("\0".join(parts).encode())
    for path in [REQUIREMENTS, Path(__file__), *sorted(source.rglob("*"))]:
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}:
            name = path.relative_to(source) if path.is_relative_to(source) else path.name
            digest.update(f"{name}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:20]


def keep(tree: Path, key: str) -> None:
    """Keep a built tree as the cache (only the latest), safely if builds run in parallel."""
    for stale in CACHE.glob("*"):
        if stale.name != key and not stale.name.endswith(".partial"):
            shutil.rmtree(stale, ignore_errors=True)
    partial = CACHE / f"{key}.{os.getpid()}.partial"
    shutil.copytree(tree, partial)
    try:
        partial.rename(CACHE / key)
    except OSError:  # another build kept the same tree first
        shutil.rmtree(partial, ignore_errors=True)


def build(
    *,
    runtime: str,
    architecture: str,
    python: str,
    out: Path,
    tree_only: bool = False,
    bytecode: bool = True,
) -> Path:
    """Build into `out`: the unzipped tree if `tree_only` (for `sam build`), else zip and template."""
    template = load_template()
    if runtime not in GLIBC:
        raise BuildError(f"unknown runtime {runtime} (known: {', '.join(GLIBC)})")
    if architecture not in MACHINES:
        raise BuildError(f"unknown architecture {architecture} (known: {', '.join(MACHINES)})")
    if bytecode:
        check_interpreter(python, runtime)
    source = ROOT / str(template["Globals"]["Function"]["CodeUri"])
    out.mkdir(parents=True, exist_ok=True)
    key = inputs_digest(source, runtime, architecture, str(bytecode))
    if tree_only and (CACHE / key).is_dir():
        print(f"the {runtime} {architecture} tree is built already ({(CACHE / key).relative_to(ROOT)})")
        shutil.copytree(CACHE / key, out, dirs_exist_ok=True)
        return out
    with tempfile.TemporaryDirectory(prefix="pforte-build-") as scratch:
        tree = Path(scratch, "tree")
        print(f"building the {runtime} {architecture} artifact from {REQUIREMENTS.name} and {source.name}/")
        install_requirements(tree, runtime, architecture)
        copy_code(source, tree)
        if bytecode:
            compile_bytecode(tree, python)
            print(f"{check_bytecode(tree, python)} modules compiled (unchecked hash-based .pyc)")
        if tree_only:
            keep(tree, key)
            shutil.copytree(tree, out, dirs_exist_ok=True)
            return out
        write_zip(tree, out / "artifact.zip")
    write_template(template, out, runtime, architecture)
    size = (out / "artifact.zip").stat().st_size
    print(f"{out / 'artifact.zip'} ({size / 2**20:.1f} MiB) and {out / 'template.yaml'}")
    return out / "artifact.zip"


def main(argv: list[str] | None = None) -> None:
    template = load_template()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runtime", default=os.environ.get("PYTHON_RUNTIME") or template_runtime(template))
    parser.add_argument("--architecture", default=template_architecture(template), choices=sorted(MACHINES))
    parser.add_argument("--python", help="the runtime's interpreter (default: RUNTIME_PYTHON or pythonX.Y)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--dir", type=Path, help="write the unzipped tree there (sam build's ARTIFACTS_DIR)")
    parser.add_argument("--no-bytecode", action="store_true", help="as SAM's Python builder: sources only")
    args = parser.parse_args(argv)
    python = args.python or os.environ.get("RUNTIME_PYTHON") or args.runtime
    build(
        runtime=args.runtime,
        architecture=args.architecture,
        python=python,
        out=args.dir or args.out,
        tree_only=args.dir is not None,
        bytecode=not args.no_bytecode,
    )


if __name__ == "__main__":
    main()
