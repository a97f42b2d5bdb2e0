"""pyproject declares what the code imports, pins nothing Textual pins for itself, and `ruff check`
passes on the whole project."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("store", "tui", "api", "serialstock")
DISTRIBUTION = {"playhouse": "peewee"}  # an import name -> the distribution that provides it


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def _dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_every_third_party_import_is_declared():
    declared = {_name(r) for r in _dependencies()}
    missing = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in PACKAGES or top == "__future__":
                        continue
                    if DISTRIBUTION.get(top, top).lower() not in declared:
                        missing.add(f"{top} ({path.relative_to(ROOT)}:{node.lineno})")
    assert sorted(missing) == []


def test_nothing_textual_requires_is_pinned_again():
    textual_needs = {_name(r) for r in metadata.requires("textual") or [] if "extra ==" not in r}
    pinned = [r for r in _dependencies() if _name(r) in textual_needs and re.search(r"[<>=!~]", r)]
    assert pinned == []


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff is not installed (pip install -e '.[test]')")
def test_ruff_check_passes_on_the_whole_project():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    out = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    checked = subprocess.run([ruff, "check", "--show-files", "."], cwd=ROOT, capture_output=True, text=True).stdout
    for folder in ("store", "tui", "api", "serialstock", "tests", "bench"):
        assert f"/{folder}/" in checked, f"ruff does not check {folder}/"
    assert out.returncode == 0, out.stdout + out.stderr
