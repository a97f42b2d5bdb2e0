"""`serialstock import` and `export` draw a progress bar on a terminal and stay quiet in a pipe."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ptyprocess = pytest.importorskip("ptyprocess")


def command() -> str:
    found = shutil.which("serialstock", path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip("the serialstock command is not installed in this venv")
    return found


def in_a_terminal(argv: list[str], cwd: Path) -> str:
    p = ptyprocess.PtyProcess.spawn(argv, dimensions=(24, 100), cwd=str(cwd), env=dict(os.environ))
    out = b""
    while True:
        try:
            out += p.read(65536)
        except EOFError:
            break
    p.wait()
    assert p.exitstatus == 0, out
    return out.decode("utf-8", "replace")


def test_a_terminal_shows_a_bar_and_a_pipe_only_the_result(tmp_path):
    cmd, db = command(), f"sqlite:///{tmp_path / 'a.db'}"
    subprocess.run([cmd, "--db", db, "demo"], check=True, capture_output=True, cwd=tmp_path)
    shown = in_a_terminal([cmd, "--db", db, "export", "serials", "s.xlsx"], tmp_path)
    assert "Exporting serials: rows" in shown and "\u2501" in shown and "100%" in shown
    assert re.search(r"(\d[\d,]*) of \1", shown)  # ends on the whole count
    shown = in_a_terminal([cmd, "--db", db, "export", "items", "items.xlsx"], tmp_path)
    assert "Exporting items" in shown and "\u2501" in shown
    shown = in_a_terminal([cmd, "--db", f"sqlite:///{tmp_path / 'b.db'}", "import", "items.xlsx"], tmp_path)
    assert "Importing items.xlsx" in shown and "\u2501" in shown and "Imported from items.xlsx" in shown

    piped = subprocess.run([cmd, "--db", db, "export", "serials", "p.xlsx"], capture_output=True, text=True,
                           cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.startswith("Serial numbers: ") and "\x1b" not in piped.stdout
    piped = subprocess.run([cmd, "--db", f"sqlite:///{tmp_path / 'c.db'}", "import", "items.xlsx"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == "" and "\x1b" not in piped.stdout
