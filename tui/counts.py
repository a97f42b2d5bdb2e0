"""Stock counts: the Stock Counts agenda and the count screen (made for 20x16 and 40x8 handhelds).

The count screen keeps the scan field first and the totals always in view. Every scan goes to the
store as it is made (store.counts.scan_serial), one after another in the order scanned; the totals are
read again after each and every few seconds, so that what other counters scan shows up here.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable

from .agenda import Agenda
from .common import ConfirmScreen, call_store, describe, fit_columns, fmt_qty, plain
from .dialogs import ChoiceDialog, RecordForm
from .widgets import KeyFooter, Plain, ScanInput, StatusLine, route_scan_key


def _counts():
    from store import counts  # in the worker thread: start-up does not wait for it

    return counts


def totals_text(t) -> str:
    """The totals as the screen shows them; words that wrap on 20 columns, one row on 40: serial
    numbers, then, when the count has untracked items, how many of them are off (store.counts.Totals)."""
    text = f"Exp {fmt_qty(t.expected)} Cnt {fmt_qty(t.counted)} Miss {fmt_qty(t.missing)} Extra {fmt_qty(t.extra)}"
    if t.untracked:
        text += f" Untracked off {t.untracked_differing}"
    return text


class StockCountAgenda(Agenda):
    TITLE = "Stock Counts"
    COLUMNS = [("Number", None), ("Status", None), ("Wh", None), ("Scans", None), ("Adjustment", None)]
    AGENDA_HELP = [("F4", "New count of a warehouse"), ("F6", "New count of some items of a warehouse"),
                   ("F8", "Cancel an open count")]
    BINDINGS = [Binding("f6", "new_of_items", "Count items", id="counts.items")]

    def fetch(self, search, after_row, limit, descending=False):
        mark = after_row.id if after_row else None
        if descending:  # the rows before after_row in the list (newer ones), nearest first
            return _counts().list_counts(search=search or None, after_id=mark, oldest_first=True, limit=limit)
        return _counts().list_counts(search=search or None, before_id=mark, limit=limit)

    def count(self, search):
        return _counts().list_counts(search=search or None, count=True)

    def key(self, row):
        return row.number

    def cells(self, row):
        return (row.number, row.status, row.warehouse, str(row.scans), row.adjustment or "")

    def open_row(self, row):
        self.app.push_screen(CountScreen(row.number))

    def new_record(self, *, some_items: bool = False):
        """F4: a count of the whole warehouse chosen. F6 (``some_items``): then a form asks which items
        (codes or EANs); the store refuses an item not in the price list, said in the form."""
        from store import catalog
        from store.serials import split_serials

        def opened(view) -> None:
            self.reload()
            self.app.push_screen(CountScreen(view.number))

        def chosen(code: str | None) -> None:
            if not code:
                return
            if not some_items:
                call_store(self, lambda: _counts().open_count(code, operator=self.app.operator), name="open_count",
                           done=opened, failed=lambda exc: self.status.say(describe(exc), error=True))
                return
            made = []

            def save(values):
                items = split_serials(values["items"].replace(" ", ","))
                if not items:
                    from store.errors import InvalidInput

                    raise InvalidInput("Name at least one item (F4 counts every item of the warehouse).",
                                       field="items")
                made.append(_counts().open_count(code, items, operator=self.app.operator))

            self.app.push_screen(RecordForm(f"Count {code}: which items?",
                                            [("items", "Item codes or EANs", "")],
                                            save),
                                 lambda values: opened(made[0]) if values is not None and made else None)

        call_store(self, catalog.list_warehouses,
                   done=lambda whs: self.app.push_screen(
                       ChoiceDialog("Count which warehouse?", [(f"{w.code} {w.name}", w.code) for w in
                                                               sorted(whs, key=lambda w: not w.is_default)]), chosen))

    def action_new_of_items(self) -> None:
        self.new_record(some_items=True)

    def delete_row(self, row):
        if row.status != "open":
            self.status.say(f"{row.number} is {row.status}; only an open count can be cancelled.", error=True)
            return False
        return (f"Cancel count {row.number}? Its scans are kept; nothing moves.",
                lambda: _counts().cancel_count(row.number, operator=self.app.operator))


class CountScreen(Screen):
    """One count: scan serials (Enter or Tab ends a scan), see the totals, list what is missing and extra."""

    REFRESH_SECONDS = 3.0
    TITLE = "Stock count"
    # the keys of the bindings are listed by F1 from the bindings themselves (as remapped)
    HELP_EXTRA = [("Scan + Enter/Tab", "Count a serial (its item is found from it, or from a GS1 code)")]
    BINDINGS = [
        Binding("f5", "differences", "Miss/Extra", id="count.differences", tooltip="List what is missing and extra"),
        Binding("f10", "post", "Post", id="count.post", tooltip="Post: make stock what was counted"),
        Binding("f3", "item", "Item", id="count.item", tooltip="The item of serials not known yet (empty: none)"),
        Binding("f4", "quantity", "Qty", id="count.quantity", tooltip="Type a counted quantity of an untracked item"),
        Binding("f7", "import_file", "From .xlsx", id="count.import", tooltip="Count the serials of a scanner's .xlsx file"),
        Binding("ctrl+o", "export", "Export .xlsx", id="count.export", tooltip="Export the result: figures, missing, extra"),
        Binding("escape", "back", "Back", id="count.back"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.item: str | None = None  # the item for unknown serials
        self.open = True
        self._queue: list[str] = []
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Plain(self.number, classes="screen-title", id="title")
        yield ScanInput(placeholder="Scan serial", compact=True, id="scan")
        yield Plain("", id="totals")
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        self.query_one("#scan", ScanInput).focus()
        self._load()
        self.set_interval(self.REFRESH_SECONDS, self._load)

    def on_screen_resume(self) -> None:
        self._load()

    def _load(self) -> None:
        if self.is_attached:
            call_store(self, self._read, name="count_totals", group="count-totals", exclusive=True,
                       done=self._show, failed=lambda exc: self.status.say(describe(exc), error=True))

    def _read(self):
        return _counts().get_count(self.number)

    def _show(self, view) -> None:
        item = f" {self.item}" if self.item else ""
        self.query_one("#title", Plain).update(f"{view.number} {view.warehouse}{item}"
                                               + ("" if view.status == "open" else f" {view.status}"))
        self.query_one("#totals", Plain).update(totals_text(view.totals))
        was_open, self.open = self.open, view.status == "open"
        if not self.open:
            self.query_one("#scan", ScanInput).disabled = True
            if was_open:
                done = f" as {view.adjustment}" if view.adjustment else ""
                self.status.say(f"{view.number} is {view.status}{done}; it is read-only.", bell=False)

    # --- scanning: one after another, in the order scanned -------------------------------------------
    @on(ScanInput.Scanned, "#scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        text = event.text.strip()
        if not text:
            return
        self._queue.append(text)
        self._next()

    @on(ScanInput.Many, "#scan")
    def _many(self, event: ScanInput.Many) -> None:
        from store.serials import split_serials

        codes = split_serials(event.text)
        call_store(self, lambda: _counts().scan_serials(self.number, codes, item=self.item, operator=self.app.operator),
                   name="scan_serials",
                   done=lambda rs: (self.status.say(f"{len(rs)} serials counted.", bell=False), self._load()),
                   failed=lambda exc: self.status.say(describe(exc), error=True))

    def _next(self) -> None:
        if self._busy or not self._queue:
            return
        self._busy = True
        code = self._queue.pop(0)

        def scan():
            counts = _counts()
            result = counts.scan_serial(self.number, code, item=self.item, operator=self.app.operator)
            return result, counts.count_totals(self.number)

        call_store(self, scan, name="scan_serial", group="count-scan", done=self._scan_done, failed=self._scan_failed)

    def _scan_done(self, answer) -> None:
        result, totals = answer
        self._busy = False
        self.query_one("#totals", Plain).update(totals_text(totals))
        # news, not a refusal: a refusal of a moment ago stays on screen (StatusLine.HOLD_SECONDS)
        self.status.say(result.text, bell=False, minor=True)
        if not result.expected:
            self.app.bell()  # an extra: the operator hears it, and the Extra total rises
        self._next()

    def _scan_failed(self, exc: Exception) -> None:
        self._busy = False
        self.status.say(describe(exc), error=True)
        self._next()

    def on_key(self, event) -> None:
        route_scan_key(self, event, self.query_one("#scan", ScanInput))

    # --- actions --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("post", "item", "quantity", "import_file") and not self.open:
            return False
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_differences(self) -> None:
        self.app.push_screen(DifferencesScreen(self.number))

    def action_item(self) -> None:
        def chosen(values) -> None:
            if values is not None:
                self.item = values["item"] or None
                self.status.say(f"Unknown serials count as {self.item}." if self.item else
                                "Serials are counted as the item they belong to.", bell=False)
                self._load()

        def check(values) -> None:
            if values["item"]:
                from store import catalog

                catalog.get_item(values["item"])

        self.app.push_screen(RecordForm("Item for unknown serials", [("item", "Item code or EAN", self.item or "")],
                                        check), chosen)

    def action_quantity(self) -> None:
        result = {}

        def save(values) -> None:
            result["figures"] = _counts().count_quantity(self.number, values["item"], values["quantity"],
                                                         operator=self.app.operator)

        def saved(values) -> None:
            if values is not None:
                f = result["figures"]  # the item by its code (an EAN may have been scanned), and its total
                self.status.say(f"{f.item}: {values['quantity']} counted, {fmt_qty(f.counted)} in all "
                                f"(expected {fmt_qty(f.expected)}).", bell=False)
                self._load()

        def confirm(values) -> str | None:
            from decimal import Decimal, InvalidOperation

            from .dialogs import quantity_confirm_limit

            limit = quantity_confirm_limit()
            try:
                qty = Decimal(values["quantity"])
            except (InvalidOperation, ValueError):
                return None  # the store refuses it, naming the field
            if limit and abs(qty) > limit:
                return f"{fmt_qty(qty)} counted of {values['item']}: more than {limit:,}. Is that right?"
            return None

        self.app.push_screen(RecordForm("Counted quantity", [("item", "Item", ""), ("quantity", "Counted (added)", "")],
                                        save, typed={"quantity"}, confirm=confirm), saved)

    def action_export(self) -> None:
        from .excel import FileJob, default_path

        def job(path, _extra, progress):
            from store.excel.counts import export_count

            return f"{export_count(self.number, path):,} row(s) written to {path}."

        self.app.push_screen(FileJob(f"Export {self.number}", default_path(self.number.lower()), job))

    def action_import_file(self) -> None:
        from .excel import FileJob

        def job(path, _extra, progress):
            from store.excel.counts import import_count_scans

            results = import_count_scans(self.number, path, operator=self.app.operator, item=self.item)
            extra = sum(1 for r in results if not r.expected)
            return f"{len(results):,} serial(s) counted from the file, {extra} of them extra."

        self.app.push_screen(FileJob(f"Scan in a file into {self.number}", "", job), lambda _: self._load())

    def action_post(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.status.say("Posting...", bell=False)
                call_store(self, lambda: _counts().post_count(self.number, operator=self.app.operator),
                           name="post_count",
                           done=lambda adj: (self.status.say(f"Posted as {adj.number}.", bell=False), self._load()),
                           failed=lambda exc: self.status.say(describe(exc), error=True))

        self.app.push_screen(ConfirmScreen(f"Post {self.number}? Stock becomes what was counted."), answered)


class DifferencesScreen(Screen[None]):
    """The missing and extra serials of a count (the first few hundred of each), and the untracked
    differences; Delete takes an extra serial's scan off (scanned by mistake, or moved since)."""

    TITLE = "Missing and extra"
    HELP_EXTRA = [("Up/Down, PgUp/PgDn", "Move in the list")]
    LIMIT = 300
    BINDINGS = [Binding("escape", "close", "Back", id="diff.back"),
                Binding("f8,delete", "unscan", "Unscan", id="diff.unscan")]
    DEFAULT_CSS = "DifferencesScreen { background: $background; } DifferencesScreen DataTable { height: 1fr; }"

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield Plain(f"{self.number} missing/extra", classes="screen-title")
        table = DataTable(cursor_type="row", id="list")
        for label in ("Serial", "Why", "Item"):  # the item last: on 20 columns the reason stays in view
            table.add_column(label, key=label)
        yield table
        yield StatusLine("", id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    def _load(self) -> None:
        def read():
            counts = _counts()
            view = counts.get_count(self.number)
            rows = [(d.code, "missing", d.item) for d in counts.missing_serials(self.number, limit=self.LIMIT)]
            rows += [(d.code, d.text, d.item) for d in counts.extra_serials(self.number, limit=self.LIMIT)]
            rows += [("", f"{'+' if f.difference > 0 else ''}{fmt_qty(f.difference)}", f.item)
                     for f in view.figures if not f.tracked and f.difference != 0]
            return rows, view.totals

        call_store(self, read, name="count_differences", done=self._show,
                   failed=lambda exc: self.query_one(StatusLine).say(describe(exc), error=True))

    def _show(self, answer) -> None:
        rows, totals = answer
        self.rows = rows
        t = self.query_one(DataTable)
        t.clear()
        for r in rows:
            t.add_row(*plain(*r))
        fit_columns(t, rows)
        self.query_one(StatusLine).say(self.summary(rows, totals), bell=False)

    def summary(self, rows, totals) -> str:
        """What the list holds, saying so when it holds only the first LIMIT missing or extra serials."""
        if not rows:
            return "Nothing missing, nothing extra."
        missing, extra = int(totals.missing), int(totals.extra)
        if missing > self.LIMIT or extra > self.LIMIT:
            return (f"{missing:,} missing, {extra:,} extra: the first {self.LIMIT} of each listed; "
                    f"{self.app.key_of('count.export', 'ctrl+o')} on the count exports them all.")
        return f"{len(rows)} difference{'' if len(rows) == 1 else 's'}."

    def action_unscan(self) -> None:
        t = self.query_one(DataTable)
        if not self.rows or not (0 <= t.cursor_row < len(self.rows)):
            return
        code, why, item = self.rows[t.cursor_row]
        if not code or why == "missing":
            self.query_one(StatusLine).say("Only a scanned serial can be taken off.", error=True)
            return
        call_store(self, lambda: _counts().remove_scan(self.number, code, item=item, operator=self.app.operator),
                   name="remove_scan",
                   done=lambda _: self._load(),
                   failed=lambda exc: self.query_one(StatusLine).say(describe(exc), error=True))

    def action_close(self) -> None:
        self.dismiss(None)
