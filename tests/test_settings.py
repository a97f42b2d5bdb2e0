"""The settings file (config.toml), `serialstock config`, and what the app takes from it: keymap,
theme (kept when chosen in the palette), scanner timing, refresh interval, quantity confirmation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from serialstock import settings as config
from serialstock.cli import main


def write_config(text: str) -> Path:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_file_is_read_and_each_value_says_where_it_came_from(tmp_path):
    path = write_config('database = "sqlite:////srv/a.db"\nrefresh_seconds = 2\nscan_burst_ms = 40\n'
                        'quantity_confirm = 50\ngs1_separator = "~"\ntheme = "nord"\n'
                        '[keymap]\n"app.lookup" = "f6"\ndocument.save = "ctrl+s, f10"\n')
    s = config.load()
    assert s.path == path and s.path_exists
    assert (s.database, s.refresh_seconds, s.burst_gap, s.quantity_confirm, s.gs1_separator, s.theme) == \
        ("sqlite:////srv/a.db", 2.0, 0.04, 50, "~", "nord")
    assert s.sources["database"] == f"file {path} line 1"
    assert s.sources["gs1_separator"] == f"file {path} line 5"
    assert s.keymap == {"app.lookup": "f6", "document.save": "ctrl+s,f10"}  # dotted keys unquoted, too
    assert config.load(environ={"XDG_CONFIG_HOME": str(tmp_path / "none")}).sources["database"] == "default"


def test_precedence_command_line_then_environment_then_file_then_default(monkeypatch):
    path = write_config('database = "sqlite:///file.db"\nquantity_confirm = 50\n')
    assert config.load().sources["database"] == f"file {path} line 1"
    monkeypatch.setenv("SERIALSTOCK_DB", "sqlite:///env.db")
    monkeypatch.setenv("SERIALSTOCK_QUANTITY_CONFIRM", "7")
    s = config.load()
    assert (s.database, s.sources["database"]) == ("sqlite:///env.db", "environment SERIALSTOCK_DB")
    assert (s.quantity_confirm, s.sources["quantity_confirm"]) == (7, "environment SERIALSTOCK_QUANTITY_CONFIRM")
    s = config.load(command_line={"database": "sqlite:///cli.db"})
    assert (s.database, s.sources["database"]) == ("sqlite:///cli.db", "command line --db")
    assert s.sources["refresh_seconds"] == "default"


def test_serialstock_config_points_elsewhere(tmp_path, monkeypatch):
    other = tmp_path / "site.toml"
    other.write_text("refresh_seconds = 9\n")
    monkeypatch.setenv("SERIALSTOCK_CONFIG", str(other))
    assert config.config_path() == other
    assert config.load().refresh_seconds == 9.0


def test_quantity_confirm_limit_env_over_file_over_default(monkeypatch):
    from tui.dialogs import quantity_confirm_limit

    monkeypatch.delenv("SERIALSTOCK_QUANTITY_CONFIRM", raising=False)
    assert quantity_confirm_limit() == 1000
    write_config("quantity_confirm = 20\n")
    config.use(None)
    assert quantity_confirm_limit() == 20
    monkeypatch.setenv("SERIALSTOCK_QUANTITY_CONFIRM", "0")  # still read at each call
    assert quantity_confirm_limit() == 0


@pytest.mark.parametrize("text, line, says", [
    ('theme = "nord"\n\nrefresh_seconds = "fast"\n', 3, "refresh_seconds must be a number from 0.5 to 3600"),
    ('theme = "nord"\nscan_burst_ms = 25\nquantity_confirm = \n', 3, "not valid TOML"),
    ('# site\ncolour = "red"\n', 2, "unknown setting 'colour'"),
    ('database = "sqlite://x.db"\n', 1, "Bad SQLite URL"),
    ('quantity_confirm = 2.5\n', 1, "quantity_confirm must be a whole number"),
    ('[keymap]\n"app.lookup" = 6\n', 2, "the keys for app.lookup must be text"),
    ('gs1_separator = ""\n', 1, "gs1_separator must be 1 to 8 printable characters"),
])
def test_a_bad_file_is_one_sentence_naming_its_line(text, line, says, capsys):
    path = write_config(text)
    with pytest.raises(config.SettingsError) as e:
        config.load()
    assert str(e.value).startswith(f"{path} line {line}: ") and says in str(e.value)
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"serialstock: {path} line {line}: ") and err.count("\n") == 1


def test_serialstock_config_prints_the_effective_settings(monkeypatch, capsys):
    path = write_config('refresh_seconds = 3\n[keymap]\n"app.lookup" = "f6"\n')
    monkeypatch.setenv("SERIALSTOCK_QUANTITY_CONFIRM", "5")
    assert main(["--db", "sqlite:///x.db", "config"]) == 0
    out = capsys.readouterr().out
    assert f"settings file: {path}\n" in out
    assert "database          \"sqlite:///x.db\"  [command line --db]" in out
    assert f"refresh_seconds   3.0  [file {path} line 1]" in out
    assert "quantity_confirm  5  [environment SERIALSTOCK_QUANTITY_CONFIRM]" in out
    assert "scan_burst_ms     25.0  [default]" in out
    assert "app.lookup = f6\n" in out


def test_config_says_which_keymap_ids_are_no_bindings(capsys):
    write_config('[keymap]\n"app.lokup" = "f6"\n"agenda.search" = "f12"\n')
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "app.lokup = f6  (! no binding has this id)" in out and "agenda.search = f12\n" in out
    assert {"app.help", "app.lookup", "agenda.search", "menu.quit"} <= config.binding_ids()
    assert not Path("x.db").exists()  # config opens no database


def test_the_commands_database_comes_from_the_file(tmp_path, capsys):
    db = tmp_path / "from-file.db"
    write_config(f'database = "sqlite:///{db}"\n')
    assert main(["check"]) == 2  # the file's database is not there yet: named, and not made
    assert f"no database at {db}" in capsys.readouterr().err and not db.exists()
    assert main(["demo"]) == 0 and db.exists()  # made where the file says
    assert main(["check"]) == 0


def test_the_settings_module_imports_no_ui():
    code = "import sys, serialstock.settings as s; s.load(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'peewee')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the app ----------------------------------------------------------------------------------------

async def test_the_keymap_remaps_the_apps_keys_and_the_help_shows_them(sqlite_url):
    from tests.tui_helpers import app_on, settle
    from tui.common import HelpScreen
    from tui.lookup import LookupScreen

    write_config('[keymap]\n"app.lookup" = "f6"\n"app.help" = "f12"\n')
    app = app_on(sqlite_url)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        from textual.widgets._footer import FooterKey

        shown = [k.key for k in app.screen.query(FooterKey)]
        assert "f12" in shown and "f1" not in shown  # the footer shows the remapped key
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#keys").content)
        assert "f6: Lookup a serial, item or EAN" in keys.replace("F6", "f6")
        assert "F2: Lookup" not in keys
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, LookupScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert app.help_key() == "F12" and app.key_of("app.lookup", "F2") == "F6"
        assert app.key_of("app.menu", "F9") == "F9"
        from tui.commands import SerialStockCommands

        names = [name for name, _cb, _help in SerialStockCommands(app.screen)._commands()]
        assert "Lookup a serial, item or EAN (F6)" in names and "Keys of this screen (F12)" in names
        await pilot.press("f11")  # does nothing here: the hint names the help's key as remapped
        await pilot.pause(app.UNUSED_REPORT_AFTER + 0.2)
        said = str(app.screen.query_one("#status").content) + " ".join(n.message for n in app._notifications)
        assert "F12 lists the keys" in said, said


async def test_theme_and_timings_come_from_the_file_and_a_chosen_theme_is_kept(sqlite_url):
    from tests.tui_helpers import app_on, settle
    from tui import keys
    from tui.agenda import Agenda

    write_config('theme = "nord"\nscan_burst_ms = 40\nrefresh_seconds = 2\n')
    app = app_on(sqlite_url)
    try:
        async with app.run_test(size=(60, 20)) as pilot:
            await settle(pilot)
            assert app.theme == "nord"
            assert keys.BURST_GAP == 0.04 and Agenda.REFRESH_SECONDS == 2.0
            app.theme = "gruvbox"  # as the palette's theme picker does
            await pilot.pause(app.THEME_KEPT_AFTER + 0.3)
        state = config.state_path()
        assert json.loads(state.read_text())["theme"] == "gruvbox"
        config.use(None)
        s = config.load()
        assert (s.theme, s.sources["theme"]) == ("gruvbox", f"command palette ({state})")
        app = app_on(sqlite_url)
        async with app.run_test(size=(60, 20)) as pilot:
            await settle(pilot)
            assert app.theme == "gruvbox"
    finally:
        config.use(config.Settings())
        app = app_on(sqlite_url)
        async with app.run_test(size=(60, 20)) as pilot:  # back to the defaults for other tests
            await settle(pilot)
        assert keys.BURST_GAP == 0.025 and Agenda.REFRESH_SECONDS == 5.0


def test_an_unwritable_state_file_is_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        config.save_theme("nord")


# --- the command ------------------------------------------------------------------------------------

def test_version_and_python_dash_m(tmp_path):
    out = subprocess.run([sys.executable, "-m", "serialstock", "--version"], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)})
    assert out.returncode == 0 and out.stdout.startswith("serialstock 0.")


def test_a_mistyped_command_lists_every_command_without_loading_them(capsys):
    with pytest.raises(SystemExit) as e:
        main(["imprt"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    for name in ("tui", "lookup", "check", "demo", "config", "template", "import", "export", "api", "token"):
        assert f"'{name}'" in err
    code = ("import sys; from serialstock.cli import build_parser; build_parser(['imprt']); "
            "print([m for m in ('openpyxl', 'fastapi', 'serialstock.cli_excel', 'serialstock.cli_api') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_binding_of_the_app_has_an_id():
    """[keymap] can reach every key: each Binding in a BINDINGS list carries an id, unique per screen."""
    import ast

    missing = []
    for path in sorted((Path(__file__).parents[1] / "tui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BINDINGS" for t in node.targets):
                for call in ast.walk(node.value):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Binding":
                        if not any(kw.arg == "id" for kw in call.keywords):
                            missing.append(f"{path.name}:{call.lineno}")
    assert missing == []


def test_a_bad_environment_value_is_one_sentence(monkeypatch, capsys):
    monkeypatch.setenv("SERIALSTOCK_QUANTITY_CONFIRM", "lots")
    assert main(["config"]) == 2
    assert capsys.readouterr().err == ("serialstock: $SERIALSTOCK_QUANTITY_CONFIRM: must be a whole number of 0 or "
                                       "more, not 'lots'.\n")
