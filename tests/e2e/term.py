"""A real terminal for end-to-end tests: the installed `serialstock` command in a pseudo-terminal,
its screen read through a terminal emulator (pyte).

Pilot hands keys to the app as messages, past the terminal's input parser and with no time between
them; here keys are bytes written to the terminal, at the speed a person types or a scanner sends,
so that focus races, keys arriving while a screen is pushed, and split escape sequences show.

Verbs: ``type`` (human speed, ~8 keys a second), ``scan`` (a barcode and its CR in one write, or a byte
at a time), ``press`` (a named key), ``wait_for`` (until the screen shows a text; a failure prints
the screen), ``wait_for_words`` (a phrase a dialog may wrap), ``screen``/``text``, ``bells``, ``kill`` (SIGKILL) and ``hangup`` (SIGHUP, a dropped
SSH connection).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import ptyprocess
import pyte

# Keys as a terminal (xterm) sends them. Source: xterm's ctlseqs, and Textual's own key table
# (textual/_keyboard / _xterm_parser), checked against the app in this harness.
KEYS = {
    "enter": b"\r", "tab": b"\t", "escape": b"\x1b", "backspace": b"\x7f", "space": b" ",
    "up": b"\x1b[A", "down": b"\x1b[B", "right": b"\x1b[C", "left": b"\x1b[D",
    "home": b"\x1b[H", "end": b"\x1b[F", "pageup": b"\x1b[5~", "pagedown": b"\x1b[6~",
    "insert": b"\x1b[2~", "delete": b"\x1b[3~",
    "ctrl+home": b"\x1b[1;5H", "ctrl+end": b"\x1b[1;5F",
    "f1": b"\x1bOP", "f2": b"\x1bOQ", "f3": b"\x1bOR", "f4": b"\x1bOS", "f5": b"\x1b[15~",
    "f6": b"\x1b[17~", "f7": b"\x1b[18~", "f8": b"\x1b[19~", "f9": b"\x1b[20~", "f10": b"\x1b[21~",
    "ctrl+s": b"\x13", "ctrl+q": b"\x11", "ctrl+g": b"\x07", "ctrl+o": b"\x0f", "ctrl+p": b"\x10",
    "ctrl+l": b"\x0c", "ctrl+r": b"\x12",
}

ESCDELAY_MS = 25  # as README's floor wrapper sets it; a lone Esc is taken after this


def serialstock_command() -> str:
    """The installed console command of the interpreter running the tests (the project's venv)."""
    here = Path(sys.executable).parent / "serialstock"
    if here.exists():
        return str(here)
    found = shutil.which("serialstock")
    if not found:
        raise RuntimeError("the serialstock command is not installed: pip install -e '.[test]'")
    return found


class _Screen(pyte.Screen):
    """pyte's screen, counting bells."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.bells = 0

    def bell(self, *args) -> None:
        self.bells += 1


class Term:
    """One running `serialstock` in a pseudo-terminal of ``cols`` x ``rows``."""

    def __init__(self, args: list[str], *, cols: int = 80, rows: int = 24, env: dict | None = None,
                 home: Path | None = None, argv0: list[str] | None = None) -> None:
        self.cols, self.rows = cols, rows
        self.screen_ = _Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen_)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SERIALSTOCK_", "TEXTUAL"))}
        full_env.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", "ESCDELAY": str(ESCDELAY_MS),
                         "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
        if home is not None:
            full_env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                             "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_HOME": str(home / "config")})
        full_env.update(env or {})
        self.proc = ptyprocess.PtyProcess.spawn((argv0 or [serialstock_command()]) + args,
                                                dimensions=(rows, cols), env=full_env)
        self.lock = threading.Lock()
        self.output = bytearray()  # everything the app wrote, for a post-mortem
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # --- reading ----------------------------------------------------------------------------
    def _read(self) -> None:
        fd = self.proc.fd
        while not self._closed:
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.output += data
                self.stream.feed(data)

    @property
    def bells(self) -> int:
        with self.lock:
            return self.screen_.bells

    def screen(self) -> list[str]:
        """The rows of the screen as text."""
        with self.lock:
            return list(self.screen_.display)

    def text(self) -> str:
        return "\n".join(self.screen())

    def dump(self) -> str:
        width = self.cols
        rows = self.screen()
        return "\n".join(["+" + "-" * width + "+"] + [f"|{r}|" for r in rows] + ["+" + "-" * width + "+"])

    def wait_for(self, what: str | re.Pattern, timeout: float = 10.0, *, gone: bool = False) -> str:
        """Wait until the screen shows ``what`` (a text or a compiled pattern); or, with ``gone``, until it
        no longer does. Returns the screen. A time-out fails the test with the screen it saw."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.text()
            found = (what.search(shown) is not None) if isinstance(what, re.Pattern) else (what in shown)
            if found != gone:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{'still shows' if gone else 'never showed'} {what!r} within {timeout} s; "
                                     f"the screen ({self.cols}x{self.rows}):\n{self.dump()}")
            if not self.proc.isalive():
                raise AssertionError(f"the app ended while waiting for {what!r}; the screen:\n{self.dump()}\n"
                                     f"last output: {bytes(self.output[-2000:])!r}")
            time.sleep(0.02)

    def wait_for_words(self, phrase: str, timeout: float = 10.0) -> str:
        """Like wait_for, for a phrase that a dialog may wrap over several rows: between two of its words
        there may be a line break, with what the screen shows beside the dialog on either side of it."""
        words = [re.escape(w) for w in phrase.split()]
        gap = r"(?:[^\S\n]+|[^\n]{0,60}?\n[^\n]{0,60}?)"
        return self.wait_for(re.compile(gap.join(words)), timeout)

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until the app has drawn nothing for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last, since = len(self.output), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.03)
            now = len(self.output)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def row_with(self, text: str) -> str | None:
        for row in self.screen():
            if text in row:
                return row
        return None

    # --- writing ----------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        self.proc.write(data)

    def type(self, text: str, *, per_key: float = 0.125) -> None:
        """Typed by a person: one key at a time (~8 a second)."""
        for ch in text:
            self.write(ch.encode())
            time.sleep(per_key)

    def scan(self, code: str, *, per_byte: float | None = None, end: bytes = b"\r") -> None:
        """A scanner's burst: the barcode and its terminator in one write, or one byte every ``per_byte``."""
        data = code.encode() + end
        if per_byte is None:
            self.write(data)
            return
        for b in data:
            self.write(bytes([b]))
            time.sleep(per_byte)

    def press(self, *keys: str, pause: float = 0.15) -> None:
        """Named keys (see KEYS), one after another, with a person's pause after each; after Esc at least
        the terminal's ESCDELAY, so that it is not taken as the start of a sequence."""
        for key in keys:
            data = KEYS.get(key)
            if data is None:
                if len(key) == 1:
                    data = key.encode()
                else:
                    raise ValueError(f"no such key {key!r}")
            self.write(data)
            time.sleep(max(pause, ESCDELAY_MS / 1000 * 3) if key == "escape" else pause)

    # --- ending -----------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc.isalive()

    def wait_exit(self, timeout: float = 10.0) -> int | None:
        deadline = time.monotonic() + timeout
        while self.proc.isalive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.proc.isalive():
            return None
        try:
            self.proc.wait()
        except Exception:
            pass
        return self.proc.exitstatus

    def kill(self) -> None:
        """SIGKILL: the process dies at once, saving nothing more."""
        self.proc.kill(signal.SIGKILL)
        self.wait_exit(5)

    def hangup(self) -> None:
        """SIGHUP, as sshd sends when the connection drops."""
        self.proc.kill(signal.SIGHUP)

    def close(self) -> None:
        if self.proc.isalive():
            try:
                self.proc.kill(signal.SIGKILL)
            except Exception:
                pass
        self._closed = True
        try:
            self.proc.close(force=True)
        except Exception:
            pass
