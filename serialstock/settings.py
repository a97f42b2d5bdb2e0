"""Settings: the file `$XDG_CONFIG_HOME/serialstock/config.toml` (or `$SERIALSTOCK_CONFIG`), the
environment and the command line, merged; and the small state file that keeps the theme chosen in
the command palette (`$XDG_STATE_HOME/serialstock/state.json`).

Precedence, highest first: command line > environment > the theme chosen in the palette (theme only)
> settings file > default. Every value carries where it came from (`serialstock config` prints it).

Plain Python: no textual here, so the command reads settings without loading the terminal UI.

    database = "sqlite:////srv/serialstock/stock.db"   # like --db / $SERIALSTOCK_DB
    theme = "textual-dark"          # a theme's name, as the command palette lists them
    refresh_seconds = 5             # agendas and the serial picker read their list again this often
    scan_burst_ms = 25              # keys closer together than this are a scanner's burst, not typing
    quantity_confirm = 1000         # a line quantity over this asks first; 0 never asks
    gs1_separator = "~"             # what the scanner sends for GS1's group separator (GS, 0x1D)

    [keymap]                        # binding id = keys (comma-separated); ids are listed by F1
    "app.lookup" = "f6"
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Settings", "SettingsError", "config_path", "state_path", "load", "current", "use",
           "save_theme", "DEFAULTS", "ENVIRONMENT"]

# name -> default value
DEFAULTS: dict[str, Any] = {
    "database": None,  # None: store.urls.resolve_url's default SQLite file
    "theme": None,  # None: Textual's default theme
    "refresh_seconds": 5.0,
    "scan_burst_ms": 25.0,
    "quantity_confirm": 1000,
    "gs1_separator": None,
}

# name -> the environment variable that sets it
ENVIRONMENT = {"database": "SERIALSTOCK_DB", "quantity_confirm": "SERIALSTOCK_QUANTITY_CONFIRM"}

DESCRIPTIONS = {
    "database": "database URL",
    "theme": "colour theme",
    "refresh_seconds": "agendas read their list again every N seconds",
    "scan_burst_ms": "keys closer than N ms are a scanner's burst",
    "quantity_confirm": "a line quantity over N asks first (0: never)",
    "gs1_separator": "what the scanner sends for GS1's group separator",
}


class SettingsError(ValueError):
    """A settings file (or an environment variable) that cannot be used: the message is one sentence
    naming the file and line, e.g. ``/home/a/.config/serialstock/config.toml line 3: ...``."""


@dataclass
class Settings:
    """The effective settings: ``values[name]`` and ``sources[name]`` (``default``, ``file PATH line N``,
    ``environment VAR``, ``command line --db``, ``command palette (STATE FILE)``), the keymap (binding
    id -> keys) and the file read (``path``; ``path_exists`` False when there is none)."""

    values: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))
    sources: dict[str, str] = field(default_factory=lambda: {k: "default" for k in DEFAULTS})
    keymap: dict[str, str] = field(default_factory=dict)
    keymap_source: str = "default"
    path: Path | None = None
    path_exists: bool = False
    file_values: dict[str, Any] = field(default_factory=dict)  # as the file gave them, before the environment

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values") or {}
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def burst_gap(self) -> float:
        """The scanner burst gap in seconds (tui.keys.BURST_GAP)."""
        return self.values["scan_burst_ms"] / 1000.0

    def describe(self) -> list[str]:
        """Lines for `serialstock config`: every setting, its value and where it came from."""
        shown = self.path if self.path else "(none)"
        lines = [f"settings file: {shown}{'' if self.path_exists else ' (not there: defaults)'}",
                 f"state file:    {state_path()}"]
        width = max(len(k) for k in DEFAULTS)
        for name in DEFAULTS:
            value = self.values[name]
            text = "(not set)" if value is None else (json.dumps(value) if isinstance(value, str) else str(value))
            lines.append(f"{name:<{width}}  {text}  [{self.sources[name]}]")
        if self.keymap:
            known = binding_ids()
            lines.append(f"keymap [{self.keymap_source}]:")
            lines += [f"  {bid} = {keys}" + ("" if bid in known or not known else "  (! no binding has this id)")
                      for bid, keys in sorted(self.keymap.items())]
        else:
            lines.append("keymap: (no keys remapped; F1 shows the keys)")
        return lines


def binding_ids() -> set[str]:
    """The ids of the app's key bindings (``Binding(..., id="...")`` in tui/), read from its source
    without importing it; empty if the sources are not there."""
    import ast

    ids: set[str] = set()
    folder = Path(__file__).resolve().parents[1] / "tui"
    for path in sorted(folder.glob("*.py")):
        try:
            tree = ast.parse(path.read_text("utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Binding":
                for kw in node.keywords:
                    if kw.arg == "id" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        ids.add(kw.value.value)
    return ids


def config_path(environ: dict | None = None) -> Path:
    """The settings file: $SERIALSTOCK_CONFIG, else $XDG_CONFIG_HOME/serialstock/config.toml
    (XDG_CONFIG_HOME defaults to ~/.config)."""
    env = os.environ if environ is None else environ
    if env.get("SERIALSTOCK_CONFIG"):
        return Path(env["SERIALSTOCK_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "serialstock" / "config.toml"


def state_path(environ: dict | None = None) -> Path:
    """The state file (the theme chosen in the palette): $XDG_STATE_HOME/serialstock/state.json
    (XDG_STATE_HOME defaults to ~/.local/state)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "serialstock" / "state.json"


# --- reading the file ----------------------------------------------------------------------------

def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """(table, key) -> line number of its first assignment, from a simple scan of the TOML text
    (enough to name the line of a value that parsed but cannot be used)."""
    where: dict[tuple[str, str], int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", s)
        if m:
            table = m.group(1).strip().strip('"\'')
            where.setdefault((table, ""), n)
            continue
        m = re.match(r"""^("([^"]*)"|'([^']*)'|[A-Za-z0-9_.\-]+)\s*=""", s)
        if m:
            key = m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(1)
            where.setdefault((table, key), n)
    return where


def _flatten(table: dict, prefix: str = "") -> dict[str, Any]:
    """{"app": {"lookup": "f6"}} -> {"app.lookup": "f6"} (an unquoted dotted key in TOML is a table)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _number(name: str, value: Any, *, low: float, high: float, whole: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind} from {low:g} to {high:g}, not {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, not {value!r}")
    return value


def _check(name: str, value: Any) -> Any:
    """The value for a setting, or ValueError saying what it must be."""
    if name == "database":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("database must be a URL in quotes, e.g. \"sqlite:////srv/stock.db\"")
        from store.errors import DatabaseError
        from store.urls import parse_url

        try:
            parse_url(value)
        except DatabaseError as exc:
            raise ValueError(str(exc).rstrip(".")) from None
        return value
    if name == "theme":
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", value):
            raise ValueError(f"theme must be a theme's name in quotes (as the command palette lists them), "
                             f"not {value!r}")
        return value
    if name == "refresh_seconds":
        return float(_number(name, value, low=0.5, high=3600))
    if name == "scan_burst_ms":
        return float(_number(name, value, low=1, high=1000))
    if name == "quantity_confirm":
        return int(_number(name, value, low=0, high=10**9, whole=True))
    if name == "gs1_separator":
        if not isinstance(value, str) or not 1 <= len(value) <= 8 or not value.isprintable() or value.isspace():
            raise ValueError(f"gs1_separator must be 1 to 8 printable characters in quotes, such as \"~\", "
                             f"not {value!r}")
        return value
    raise AssertionError(name)


_KEY = re.compile(r"^[A-Za-z0-9_+\-]+(\s*,\s*[A-Za-z0-9_+\-]+)*$")


def _read_file(path: Path, settings: Settings) -> None:
    """Apply the settings file at ``path`` to ``settings``; SettingsError naming the line if it is bad."""
    try:
        path.stat()
    except OSError:
        return  # not there, or in a folder this account cannot search (another user's $XDG_CONFIG_HOME)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    settings.path_exists = True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SettingsError(f"{path} line {line}: the file is not UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).rstrip(".")
        where = f" line {m.group(1)}" if m else ""
        raise SettingsError(f"{path}{where}: {reason[:1].lower() + reason[1:]} (not valid TOML).") from None
    lines = _key_lines(text)

    def fail(table: str, key: str, reason: str):
        line = lines.get((table, key)) or lines.get((table, key.split(".")[0]))
        where = f" line {line}" if line else ""
        raise SettingsError(f"{path}{where}: {reason}.")

    for key, value in data.items():
        if key == "keymap":
            if not isinstance(value, dict):
                fail("", key, "keymap must be a table: [keymap] then lines like \"app.lookup\" = \"f6\"")
            keymap = {}
            for bid, keys in _flatten(value).items():
                if not isinstance(keys, str) or not _KEY.match(keys.strip()):
                    fail("keymap", bid, f"the keys for {bid} must be text such as \"f6\" or \"ctrl+k,f6\", "
                                        f"not {keys!r}")
                keymap[bid] = ",".join(k.strip() for k in keys.split(","))
            settings.keymap, settings.keymap_source = keymap, f"file {path}"
            continue
        if key not in DEFAULTS:
            known = ", ".join(list(DEFAULTS) + ["[keymap]"])
            fail("", key, f"unknown setting {key!r} (known: {known})")
        try:
            settings.values[key] = settings.file_values[key] = _check(key, value)
        except ValueError as exc:
            fail("", key, str(exc))
        settings.sources[key] = f"file {path}" + (f" line {lines[('', key)]}" if ("", key) in lines else "")


def _read_state(settings: Settings, environ) -> None:
    """The theme chosen in the command palette, if one was (an unreadable state file is ignored:
    it is ours, and only remembers a preference)."""
    path = state_path(environ)
    try:
        theme = json.loads(path.read_text("utf-8")).get("theme")
        settings.values["theme"] = _check("theme", theme)
        settings.sources["theme"] = f"command palette ({path})"
    except (OSError, ValueError, AttributeError):
        pass


def load(path: Path | str | None = None, *, environ: dict | None = None,
         command_line: dict[str, Any] | None = None) -> Settings:
    """The effective settings: defaults, then the settings file (``path``, else config_path()), then the
    theme chosen in the palette, then the environment, then ``command_line`` ({name: value}, None values
    ignored). Raises SettingsError, one sentence naming the file and line, for a bad file or variable."""
    env = os.environ if environ is None else environ
    settings = Settings()
    settings.path = Path(path) if path is not None else config_path(env)
    _read_file(settings.path, settings)
    _read_state(settings, env)
    for name, var in ENVIRONMENT.items():
        text = env.get(var)
        if not text:
            continue
        if name == "quantity_confirm":
            try:
                value = _check(name, int(text.strip()))
            except ValueError:
                raise SettingsError(f"${var}: must be a whole number of 0 or more, not {text!r}.") from None
        else:
            value = text
        settings.values[name], settings.sources[name] = value, f"environment {var}"
    for name, value in (command_line or {}).items():
        if value is not None:
            settings.values[name] = value
            settings.sources[name] = f"command line --{'db' if name == 'database' else name.replace('_', '-')}"
    return settings


# --- the process's settings ------------------------------------------------------------------------

_current: Settings | None = None


def use(settings: Settings | None) -> None:
    """Make ``settings`` the process's settings (the command does, once it has read them); None: read
    them again at the next current()."""
    global _current
    _current = settings


def current() -> Settings:
    """The process's settings: those given to use(), else read now (and kept). Never raises: a bad file
    gives the defaults here (the command refuses to start on one before this is reached)."""
    global _current
    if _current is None:
        try:
            _current = load()
        except SettingsError:
            _current = Settings()
    return _current


def quantity_confirm_limit() -> int:
    """The quantity confirmation limit now: $SERIALSTOCK_QUANTITY_CONFIRM (read at each call, so that
    it can be changed while a test runs), else the settings (file or default)."""
    text = os.environ.get("SERIALSTOCK_QUANTITY_CONFIRM")
    if text:
        try:
            return max(int(text), 0)
        except ValueError:
            pass
    settings = current()
    return settings.file_values.get("quantity_confirm", DEFAULTS["quantity_confirm"])


def save_theme(theme: str, environ: dict | None = None) -> Path:
    """Keep the theme chosen in the command palette in the state file (written whole, then renamed
    over the old one). Returns the file's path; OSError if it cannot be written."""
    path = state_path(environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        state = json.loads(path.read_text("utf-8"))
        if not isinstance(state, dict):
            state = {}
    except (OSError, ValueError):
        state = {}
    state["theme"] = theme
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1) + "\n", "utf-8")
    os.replace(tmp, path)
    return path
