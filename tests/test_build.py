"""infra/build.py: the pieces of `make build` that need neither pip nor another Python version."""

from __future__ import annotations

import compileall
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from infra import build
from infra.template import load_template


def test_wheels_are_chosen_for_the_runtimes_operating_system() -> None:
    # python3.11 runs on Amazon Linux 2 (glibc 2.26), python3.12+ on Amazon Linux 2023 (2.34).
    amazon_linux_2 = build.platforms("python3.11", "arm64")
    assert amazon_linux_2[0] == "manylinux_2_26_aarch64"
    assert {"manylinux_2_17_aarch64", "manylinux2014_aarch64"} <= set(amazon_linux_2)
    assert "manylinux_2_28_aarch64" not in amazon_linux_2
    assert build.platforms("python3.13", "x86_64")[0] == "manylinux_2_34_x86_64"
    assert set(build.GLIBC) == set(load_template()["Parameters"]["PythonRuntime"]["AllowedValues"])


def test_the_bytecode_needs_the_runtimes_own_python() -> None:
    build.check_interpreter(sys.executable, f"python{sys.version_info.major}.{sys.version_info.minor}")
    with pytest.raises(SystemExit, match=r"needs bytecode compiled by Python 3\.99, but .* is Python 3\.\d+"):
        build.check_interpreter(sys.executable, "python3.99")
    with pytest.raises(SystemExit, match="cannot be run"):
        build.check_interpreter("/nonexistent/python3.13", "python3.13")


def test_only_unchecked_hash_based_bytecode_passes(tmp_path: Path) -> None:
    (tmp_path / "module.py").write_text("VALUE = 1\n")
    compileall.compile_dir(tmp_path, quiet=1)  # timestamp-based: useless on Lambda
    with pytest.raises(SystemExit, match="without unchecked hash-based bytecode"):
        build.check_bytecode(tmp_path, sys.executable)
    build.compile_bytecode(tmp_path, sys.executable)
    assert build.check_bytecode(tmp_path, sys.executable) == 1


def test_the_zip_is_the_same_for_the_same_files(tmp_path: Path) -> None:
    digests = []
    for attempt in ("first", "second"):
        tree = tmp_path / attempt / "tree"
        (tree / "pkg").mkdir(parents=True)
        (tree / "pkg" / "__init__.py").write_text("")
        (tree / "top.py").write_text("X = 1\n")
        build.write_zip(tree, tmp_path / attempt / "artifact.zip")
        digests.append(hashlib.sha256((tmp_path / attempt / "artifact.zip").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    with zipfile.ZipFile(tmp_path / "first" / "artifact.zip") as bundle:
        assert bundle.namelist() == ["pkg/__init__.py", "top.py"]
        assert {info.date_time for info in bundle.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize(
    ("runtime", "apply_on"), [("python3.11", "None"), ("python3.13", "PublishedVersions")]
)
def test_the_built_template_deploys_only_the_runtime_it_was_built_for(
    tmp_path: Path, runtime: str, apply_on: str
) -> None:
    build.write_template(load_template(), tmp_path, runtime, "arm64")
    built = load_template(tmp_path / "template.yaml")
    assert built["Parameters"]["PythonRuntime"]["AllowedValues"] == [runtime]
    assert built["Globals"]["Function"]["CodeUri"] == "artifact.zip"
    assert "Conditions" not in built
    assert built["Resources"]["ContactsFunction"]["Properties"]["SnapStart"] == {"ApplyOn": apply_on}


def test_sam_builds_every_function_from_one_tree_until_an_input_changes(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "handler.py").write_text("X = 1\n")
    first = build.inputs_digest(tmp_path, "python3.11", "arm64")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"local")
    assert build.inputs_digest(tmp_path, "python3.11", "arm64") == first
    assert build.inputs_digest(tmp_path, "python3.13", "arm64") != first
    (tmp_path / "pkg" / "handler.py").write_text("X = 2\n")
    assert build.inputs_digest(tmp_path, "python3.11", "arm64") != first
