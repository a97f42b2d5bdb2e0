"""The serialstock terminal app: a menu of agendas, document editing, scan-first serial entry.

Every screen calls store services only, in thread workers (tui.common.call_store)."""

from __future__ import annotations

import gc
import threading
import time
from functools import partial

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from .common import ConfirmScreen, HelpScreen, call_store, describe, Plain, KeyFooter

# (title, class in tui.agendas): imported when first opened, to keep start-up quick
AGENDAS = [
    ("Serial Numbers", "SerialAgenda"),
    ("Goods Receipts/Issues", "GoodsAgenda"),
    ("Purchase Invoices", "PurchaseInvoiceAgenda"),
    ("Sales Invoices", "SalesInvoiceAgenda"),
    ("Transfers", "TransferAgenda"),
    ("Price List", "PriceListAgenda"),
    ("Stock", "StockAgenda"),
    ("Warehouses", "WarehouseAgenda"),
    ("Partners", "PartnerAgenda"),
]

NEW_DOCUMENTS = [("receipt", "goods receipt"), ("issue", "goods issue"), ("purchase_invoice", "purchase invoice"),
                 ("sales_invoice", "sales invoice"), ("transfer", "transfer")]


def _store_call(module: str, name: str, *args):
    """store.<module>.<name>(*args), importing the module in the calling thread worker: at start-up the
    event loop is not held up importing the database layer."""
    import importlib

    return getattr(importlib.import_module(f"store.{module}"), name)(*args)


class MenuScreen(Screen):
    """The agendas, numbered: a digit or arrows and Enter opens one."""

    TITLE = "Menu"
    HELP_EXTRA = [("1-9", "Open that agenda"), ("Up/Down, Enter", "Choose an agenda")]
    BINDINGS = [Binding("escape", "app.quit_ask", "Quit", id="menu.quit"),
                Binding("f4", "app.import_excel", "Import .xlsx", id="menu.import")]

    def compose(self) -> ComposeResult:
        yield Plain(f"serialstock  {self.app.operator}", classes="screen-title", id="title")
        yield OptionList(*[Option(f"{i}. {name}", id=str(i - 1)) for i, (name, _) in enumerate(AGENDAS, start=1)],
                         id="menu")
        yield Plain("", id="summary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#menu").focus()

    def on_screen_resume(self) -> None:
        # after the first paint: the menu shows at once, the figures follow
        self.call_after_refresh(self._load_summary)

    def _load_summary(self) -> None:
        call_store(self, _store_call, "summary", "summary", done=self._summary, failed=lambda e: None)

    def _summary(self, s) -> None:
        self.query_one("#summary", Static).update(
            f"{s.serials_in_stock} serials in stock, {s.items} items, {s.documents} documents")

    @on(OptionList.OptionSelected, "#menu")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.app.open_agenda(int(event.option.id))

    BURST_SECONDS = 0.06
    _last_key = 0.0
    _pending = None

    def on_key(self, event) -> None:
        """A digit opens its agenda, unless it is part of a scan: a scanner's burst (keys faster than a
        person types) is dropped here whole, Enter included, instead of opening agenda after agenda."""
        now = time.monotonic()
        in_burst = now - self._last_key < self.BURST_SECONDS
        self._last_key = now
        if in_burst:
            if self._pending is not None:
                self._pending.stop()
                self._pending = None
            event.stop()
            event.prevent_default()
            self.app.bell()
            return
        if event.character and event.character.isdigit() and event.character != "0":
            i = int(event.character) - 1
            if i < len(AGENDAS):
                event.stop()
                self._pending = self.set_timer(self.BURST_SECONDS, lambda: self._open_pending(i))

    def _open_pending(self, index: int) -> None:
        self._pending = None
        self.app.open_agenda(index)


def _commands_provider():
    """The palette's provider, imported when the palette first opens (textual.command is slow to import)."""
    from .commands import SerialStockCommands

    return SerialStockCommands


class SerialStockApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "serialstock"
    COMMANDS = App.COMMANDS | {_commands_provider}
    BINDINGS = [
        Binding("f1", "help", "Keys", id="app.help"),
        Binding("f2", "lookup", "Lookup", id="app.lookup"),
        Binding("f9", "menu", "Menu", show=False, id="app.menu"),
        Binding("ctrl+q", "quit_ask", "Quit", show=False, id="app.quit"),
    ]

    def __init__(self, operator: str = "operator", *, offer_demo: bool = True, start: str | None = None,
                 url: str | None = None) -> None:
        """``url``: the database to open (store.db.connect: schema checked and brought up to date), in a
        thread once the first screen is painted, so that the menu is up before the database layer has
        even been imported; store calls made meanwhile wait for it. None: the caller opened it already.
        If it cannot be opened the app exits and ``database_error`` says why."""
        super().__init__()
        self.operator = operator
        self.offer_demo = offer_demo
        self.start = start  # "lookup": open straight on the lookup screen
        self.url = url
        self.database_error: Exception | None = None
        self._database_opened = threading.Event()
        self._opening = False
        if url is None:
            self._database_opened.set()
        gc.disable()  # until the first screen is painted (start-up makes many objects, frees few)

    OPEN_DATABASE_AFTER = 0.03  # seconds after the first paint

    def wait_for_database(self) -> None:
        """In a thread worker: return once the database is open; raise why it could not be."""
        self._database_opened.wait()
        if self.database_error is not None:
            raise self.database_error

    def _open_database(self) -> None:
        from store import db as dbm

        try:
            dbm.connect(self.url)
            dbm.db.close()  # each worker call opens its own connection (tui.common.store_connection)
        except Exception as exc:
            self.database_error = exc
            self.call_from_thread(self.exit, return_code=2)
        finally:
            self._database_opened.set()

    def on_mount(self) -> None:
        self.push_screen(MenuScreen())
        if self.start == "lookup":
            self.action_lookup()

    def on_ready(self) -> None:
        """The first screen has been displayed (Textual's Ready event)."""
        # Start-up objects live as long as the app: once the first screen is up, keep them out of every
        # later garbage collection, so that a full collection does not land in the middle of typing.
        gc.enable()
        gc.freeze()
        if not self._database_opened.is_set() and not self._opening:
            # a moment later: the driver's writer thread is still putting the first screen out to the
            # terminal, and importing the database layer would hold the interpreter meanwhile
            self._opening = True
            self.set_timer(self.OPEN_DATABASE_AFTER,
                           lambda: self.run_worker(self._open_database, thread=True, group="open-database"))
        # the store's modules are imported in the worker too, not on the event loop
        call_store(self, _store_call, "drafts", "drafts_of", self.operator, done=self._offer_drafts,
                   failed=lambda e: None)
        if self.offer_demo:
            call_store(self, _store_call, "demo", "is_empty", done=self._maybe_offer_demo, failed=lambda e: None)

    def _maybe_offer_demo(self, empty: bool) -> None:
        if not empty:
            return

        def answered(yes):
            if yes:
                from store.demo import fill

                self.notify("Adding demo data...", timeout=3)
                call_store(self, fill, done=self._demo_done,
                           failed=lambda e: self.notify(describe(e), severity="error", timeout=8))

        self.push_screen(ConfirmScreen("This database is empty. Add demo data (items, serials, documents) "
                                       "to look around?"), answered)

    def _demo_done(self, counts) -> None:
        self.notify(f"Demo data added: {counts['items']} items, {counts['documents']} documents.", timeout=5)
        if isinstance(self.screen, MenuScreen):
            self.screen.on_screen_resume()

    # --- navigation ---------------------------------------------------------------------------
    def open_agenda(self, index: int) -> None:
        from . import agendas

        self.push_screen(getattr(agendas, AGENDAS[index][1])())

    def new_document(self, kind: str) -> None:
        from .document import DocumentScreen

        self.push_screen(DocumentScreen(kind=kind))

    def action_import_excel(self) -> None:
        from .excel import FileJob, import_job

        self.push_screen(FileJob("Import from Excel (all or nothing)", "", import_job(self.operator)))

    def action_lookup(self) -> None:
        from .lookup import LookupScreen

        if isinstance(self.screen, LookupScreen):
            self.screen.query_one("#scan").focus()
            return
        self.push_screen(LookupScreen())

    def action_menu(self) -> None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, MenuScreen):
            if getattr(self.screen, "dirty", False):
                self.screen.action_back()
                return
            self.pop_screen()

    def action_help(self) -> None:
        """F1: the keys of this screen (its own and the app's, not the inner workings of its widgets)."""
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        keys: list[tuple[str, str]] = list(getattr(screen, "HELP_EXTRA", []))
        grouped: dict[tuple[str, str], list[str]] = {}
        for key, active in screen.active_bindings.items():
            b = active.binding
            if active.node is not screen or not b.description or not b.id or b.id.startswith("app."):
                continue  # the screen's own keys; the app's are listed by the help screen itself
            if screen.check_action(b.action, ()) is False:
                continue
            grouped.setdefault((b.action, b.description), []).append(self.get_key_display(Binding(key, b.action)))
        keys += [("/".join(shown), description) for (_action, description), shown in grouped.items()]
        self.push_screen(HelpScreen(str(getattr(screen, "TITLE", None) or type(screen).__name__), keys))

    def action_quit_ask(self) -> None:
        dirty = any(getattr(s, "dirty", False) for s in self.screen_stack)
        question = "Quit serialstock?" + (" Unsaved changes to a document will be lost." if dirty else "")
        self.push_screen(ConfirmScreen(question), lambda yes: yes and self.exit())

    # --- drafts left by a dropped connection ----------------------------------------------------
    def _offer_drafts(self, drafts) -> None:
        if not drafts:
            return
        draft, rest = drafts[0], drafts[1:]

        def answered(resume):
            from store.drafts import delete_draft

            from .document import DocumentScreen

            if resume:
                self.push_screen(DocumentScreen(kind=draft.kind, number=draft.number, draft=draft))
            else:
                call_store(self, delete_draft, draft.id)
            if rest:
                self.call_later(self._offer_drafts, rest)

        when = draft.updated_at.strftime("%Y-%m-%d %H:%M") + " UTC"
        self.push_screen(ConfirmScreen(f"Resume your unsaved {draft.summary} (kept {when})? "
                                       "y: resume, n: discard it"), answered)
