"""Choosing a code from a list: a partner, a warehouse or an item.

Type part of the code or the name, in any case; ↑ ↓ PgUp PgDn ctrl+Home ctrl+End move in the list
while the typing stays in the field; Enter picks the row under the cursor; Esc cancels. Where the
field may be left empty (the Serial Numbers' item filter) F8 picks "none". The list is a PagedList,
so it reaches every record however many there are.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen

from .common import describe
from .paged_list import PagedList
from .widgets import KeyedInput, Plain, StatusLine

# keys of the list that work while the typing field has the focus
LIST_KEYS = {"up": ("move", -1), "down": ("move", 1), "pageup": ("page", -1), "pagedown": ("page", 1),
             "ctrl+home": ("first", None), "ctrl+end": ("last", None)}


class _Source:
    def __init__(self, kind: str, search: str) -> None:
        self.kind, self.search = kind, search

    def fetch(self, after_row, limit, descending):
        from store.agendas import pick_rows

        return pick_rows(self.kind, self.search, after=after_row.code if after_row else None, limit=limit,
                         descending=descending)

    def count(self):
        from store.agendas import pick_rows

        return pick_rows(self.kind, self.search, count=True)

    def key(self, row):
        return row.code

    def cells(self, row):
        return (row.code, row.name)


class CodePicker(ModalScreen[str | None]):
    """Dismissed with the chosen code, "" for none (F8, where allowed), or None (Esc)."""

    WHAT = {"partner": "partner", "warehouse": "warehouse", "item": "item"}
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel"),
                Binding("f8", "none", "None", id="picker.none")]
    DEFAULT_CSS = """
    CodePicker { align: center middle; }
    CodePicker > Vertical { width: 100%; max-width: 70; height: 100%; max-height: 24; border: round $primary;
                            background: $surface; padding: 0 1; }
    CodePicker .keys { color: $text-muted; }
    """

    def __init__(self, kind: str, text: str = "", *, none_label: str | None = None,
                 pick_single: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.text = text
        self.none_label = none_label  # F8 picks "" (e.g. "all items"); None: F8 does nothing
        self.pick_single = pick_single  # the first list of one row is picked at once (a code typed whole)
        self._timer = None

    def compose(self) -> ComposeResult:
        keys = "Enter: pick  Esc: cancel" + (f"  F8: {self.none_label}" if self.none_label else "")
        with Vertical():
            what = self.WHAT[self.kind]
            yield Plain(f"Choose {'an' if what[0] in 'aeiou' else 'a'} {what}: type part of its code or name",
                        classes="screen-title")
            yield KeyedInput(self.text, compact=True, id="find")
            yield PagedList([("Code", None), ("Name", None)], id="choices")
            yield StatusLine("", id="status")
            yield Plain(keys, classes="keys")

    @property
    def choices(self) -> PagedList:
        return self.query_one("#choices", PagedList)

    def on_mount(self) -> None:
        field = self.query_one("#find", KeyedInput)
        field.focus()
        field.cursor_position = len(field.value)
        self._reload()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "none":
            return self.none_label is not None
        return True

    def _reload(self) -> None:
        self.choices.source = _Source(self.kind, self.query_one("#find", KeyedInput).value.strip())
        self.choices.reset(failed=lambda exc: self.query_one(StatusLine).say(describe(exc), error=True))

    @on(KeyedInput.Changed, "#find")
    def _changed(self, event) -> None:
        if event.value == self.text and self._timer is None:
            return  # the text it opened with, already being read
        self.pick_single = False
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.1, self._timed_reload)

    def _timed_reload(self) -> None:
        self._timer = None
        self._reload()

    @on(PagedList.Loaded, "#choices")
    def _loaded(self, event) -> None:
        status = self.query_one(StatusLine)
        rows = self.choices.rows
        if not rows:
            status.say(f"No {self.WHAT[self.kind]} matches {self.query_one('#find', KeyedInput).value.strip()!r}.",
                       error=True, bell=False)
            return
        status.say("", bell=False)
        if self.pick_single and len(rows) == 1 and not self.choices.more_after:
            self.dismiss(rows[0].code)

    def on_key(self, event) -> None:
        """The list's keys work while typing: the focus stays in the field."""
        if self.focused is not self.query_one("#find") or event.key not in LIST_KEYS:
            return
        event.stop()
        event.prevent_default()
        action, arg = LIST_KEYS[event.key]
        getattr(self.choices, f"action_{action}")(*(() if arg is None else (arg,)))

    @on(KeyedInput.Submitted, "#find")
    def _submitted(self, event) -> None:
        self._pick()

    @on(PagedList.Selected, "#choices")
    def _selected(self, event) -> None:
        self._pick()

    def _pick(self) -> None:
        if self._timer is not None:
            # typed just now: pick from the list for what is typed, once it is read
            self._timer.stop()
            self._timer = None
            self.pick_single = True
            self._reload()
            return
        row = self.choices.current()
        if row is None or self.choices.reading:
            self.query_one(StatusLine).say("Nothing to pick yet: type part of the code or name.", error=True,
                                           bell=False)
            return
        self.dismiss(row.code)

    def action_none(self) -> None:
        if self.none_label is not None:
            self.dismiss("")

    def action_cancel(self) -> None:
        self.dismiss(None)
