"""The serialstock terminal app: a menu of agendas, document editing, scan-first serial entry.

Every screen calls store services only, in thread workers (tui.common.call_store)."""

from __future__ import annotations

import gc
import threading
import time

from textual import on
from textual._dispatch_key import dispatch_key
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from .common import ConfirmScreen, HelpScreen, MessagesScreen, call_store, describe, say_on_dialog
from .widgets import KeyFooter, Plain, StatusLine

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
    ("Stock Counts", "StockCountAgenda"),  # the 10th: arrows and Enter, or the palette (digits open 1-9)
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
        yield Plain(self.heading(), classes="screen-title", id="title")
        yield OptionList(*[Option(f"{i}. {name}", id=str(i - 1)) for i, (name, _) in enumerate(AGENDAS, start=1)],
                         id="menu")
        yield Plain("", id="summary")
        yield KeyFooter()

    NARROW = 40  # columns: under this the title drops the program's name and shortens the mode

    def heading(self) -> str:
        """The operator and what they may do: their role, or that the database has no users. Under
        NARROW columns it is short enough for a handheld's title rows: `root (single-user)`."""
        who = self.app.acting
        narrow = 0 < self.app.size.width < self.NARROW
        if who is None:
            return self.app.operator if narrow else f"serialstock  {self.app.operator}"
        if narrow:
            return f"{who.name} ({'single-user' if who.single_user else who.role})"
        mode = "single-user mode: everything allowed" if who.single_user else who.role
        return f"serialstock  {who.name}  ({mode})"

    def acting_known(self) -> None:
        self.query_one("#title", Static).update(self.heading())
        self.refresh_bindings()

    def on_resize(self) -> None:
        self.query_one("#title", Static).update(self.heading())

    def check_action(self, action: str, parameters) -> bool | None:
        from .rights import allowed

        return allowed(self, action)

    def on_mount(self) -> None:
        self.query_one("#menu").focus()

    def on_screen_resume(self) -> None:
        # after the first paint: the menu shows at once, the figures follow
        self.call_after_refresh(self._load_summary)

    def _load_summary(self) -> None:
        call_store(self, _store_call, "summary", "summary", name="summary", done=self._summary,
                   failed=lambda e: self.query_one("#summary", Static).update(f"No summary: {describe(e)}"))

    def _summary(self, s) -> None:
        self.query_one("#summary", Static).update(
            f"{s.serials_in_stock} serials in stock, {s.items} items, {s.documents} documents")

    @on(OptionList.OptionSelected, "#menu")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.app.open_agenda(int(event.option.id))

    def on_key(self, event) -> None:
        """A digit opens its agenda, unless it is part of a scan: a scanner's burst (keys faster than a
        person types) opens nothing, Enter included, and is named whole with the bell (KeyGuard)."""
        from .keys import KeyGuard

        guard = self.__dict__.setdefault("_guard", KeyGuard())
        action = None
        if event.character and event.character.isdigit() and event.character != "0":
            i = int(event.character) - 1
            if i < len(AGENDAS):
                action = lambda: self._open_pending(i)  # noqa: E731
        # Enter ends a scan (named) or makes a digit just typed act; alone it picks the highlighted agenda
        guard.key(self, event, action)

    def _open_pending(self, index: int) -> None:
        self.app.open_agenda(index)


def _commands_provider():
    """The palette's provider, imported when the palette first opens (textual.command is slow to import)."""
    from .commands import SerialStockCommands

    return SerialStockCommands


class SerialStockApp(App):
    CSS_PATH = "app.tcss"
    # 40x8 handhelds: one-row messages, so that the list and its count stay in view (app.tcss)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (12, "-tall")]
    # Every screen focuses its own field in on_mount; none is focused before that, so that keys held
    # while it opens (release_keys) wait for that field instead of going to the first focusable widget.
    AUTO_FOCUS = None
    TITLE = "serialstock"
    COMMANDS = App.COMMANDS | {_commands_provider}
    BINDINGS = [
        Binding("f1", "help", "Keys", id="app.help", priority=True),
        Binding("f2", "lookup", "Lookup", id="app.lookup"),
        Binding("f9", "menu", "Menu", show=False, id="app.menu"),
        Binding("ctrl+q", "quit_ask", "Quit", show=False, id="app.quit"),
        Binding("ctrl+l", "messages", "Refusals", show=False, id="app.messages", priority=True),
    ]

    def __init__(self, operator: str = "operator", *, offer_demo: bool = True, start: str | None = None,
                 url: str | None = None, login: str | None = None, acting=None) -> None:
        """``url``: the database to open (store.db.connect: schema checked and brought up to date), in a
        thread once the first screen is painted, so that the menu is up before the database layer has
        even been imported; store calls made meanwhile wait for it. None: the caller opened it already.
        If it cannot be opened the app exits and ``database_error`` says why.

        ``login``: the account that started the program (default: ``operator``); who acts, with which
        role, is settled once the database is open (store.users.who_is_acting), unless ``acting`` (a
        store.rights.Acting) says it. A login that is not a user makes the app exit at once, and
        ``database_error`` says why in one sentence."""
        super().__init__()
        self.refusal_log: list[str] = []  # every refusal said on any screen this session, newest last
        self.operator = operator
        self.login = login or operator
        self.acting = acting  # store.rights.Acting: every store call acts for it (tui.common.call_store)
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
            if dbm.is_postgres():
                dbm.check_writable()  # SQLite: checked by the command before the app started
            if self.acting is None:
                self._acting_known(self._who_is_acting())
            dbm.db.close()  # each worker call opens its own connection (tui.common.store_connection)
        except Exception as exc:
            self.database_error = exc
            self.call_from_thread(self.exit, return_code=2)
        finally:
            self._database_opened.set()

    def _who_is_acting(self):
        from store.users import who_is_acting

        return who_is_acting(self.login, self.operator)

    def _acting_known(self, who) -> None:
        """(In a thread.) Who acts is settled: keys the role cannot use are hidden from now on."""
        self.acting = who
        self.operator = who.name
        self.call_from_thread(self._show_acting)

    def _show_acting(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, MenuScreen):
                screen.acting_known()
        self.screen.refresh_bindings()

    def _resolve_acting(self) -> None:
        """The database was opened by the caller: settle who acts in a thread, or exit saying why."""
        from store import db as dbm

        try:
            with dbm.db.connection_context():
                self._acting_known(self._who_is_acting())
        except Exception as exc:
            self.database_error = exc
            self.call_from_thread(self.exit, return_code=1)

    def on_mount(self) -> None:
        self.apply_settings()
        self.push_screen(MenuScreen())
        if self.start == "lookup":
            self.action_lookup()

    def apply_settings(self) -> None:
        """The settings (serialstock.settings: file, environment, command line) that the app itself uses:
        the keymap, the theme (and keeping the one chosen in the palette), the scanner's burst gap and
        the lists' refresh interval. Called once, as the app mounts."""
        import sys

        from serialstock import settings as config

        s = config.current()
        if s.keymap:
            self.set_keymap(s.keymap)
        if s.gs1_separator:  # read by store.gs1 (which imports no front end) from the environment
            import os

            os.environ.setdefault("SERIALSTOCK_GS1_SEPARATOR", s.gs1_separator)
        # the modules that read these are imported when first needed: only then, unless a value is set
        if s.burst_gap != config.DEFAULTS["scan_burst_ms"] / 1000 or "tui.keys" in sys.modules:
            from . import keys

            keys.BURST_GAP = s.burst_gap
        if s.refresh_seconds != config.DEFAULTS["refresh_seconds"] or "tui.agenda" in sys.modules:
            from .agenda import Agenda
            from .serial_entry import SerialPickerScreen

            Agenda.REFRESH_SECONDS = SerialPickerScreen.REFRESH_SECONDS = s.refresh_seconds
        if s.theme and s.theme != self.theme:
            if s.theme in self.available_themes:
                self.theme = s.theme
            else:
                self.notify(f"Theme {s.theme!r} ({s.sources['theme']}) is not known; ctrl+p, \"theme\" lists "
                            "them.", severity="warning", timeout=8)
        self.watch(self, "theme", self._theme_chosen, init=False)

    _theme_timer = None

    def _theme_chosen(self, theme: str) -> None:
        """Keep the theme chosen in the command palette (serialstock.settings.save_theme), once it has
        stayed for a moment: the palette shows each theme as the highlight passes it."""
        if self._theme_timer is not None:
            self._theme_timer.stop()

        def save():
            from serialstock import settings as config

            self._theme_timer = None
            try:
                config.save_theme(self.theme)
            except OSError as exc:
                self.notify(f"The theme could not be kept for the next start: {exc.strerror or exc}.",
                            severity="warning", timeout=6)

        self._theme_timer = self.set_timer(self.THEME_KEPT_AFTER, save)

    THEME_KEPT_AFTER = 0.5  # seconds

    def on_ready(self) -> None:
        """The first screen has been displayed (Textual's Ready event)."""
        # Start-up objects live as long as the app: once the first screen is up, keep them out of every
        # later garbage collection, so that a full collection does not land in the middle of typing.
        gc.enable()
        gc.freeze()
        if self._database_opened.is_set() and self.acting is None:
            self.run_worker(self._resolve_acting, name="resolve_acting", thread=True, group="acting")
        if not self._database_opened.is_set() and not self._opening:
            # a moment later: the driver's writer thread is still putting the first screen out to the
            # terminal, and importing the database layer would hold the interpreter meanwhile
            self._opening = True
            self.set_timer(self.OPEN_DATABASE_AFTER,
                           lambda: self.run_worker(self._open_database, name="open_database", thread=True,
                                                   group="open-database"))
        # the store's modules are imported in the worker too, not on the event loop
        call_store(self, _store_call, "drafts", "drafts_of", self.operator, name="drafts_of", done=self._offer_drafts,
                   failed=lambda e: self.notify(f"Your unsaved drafts could not be read, so none is offered: "
                                                f"{describe(e)}", severity="error", timeout=15))
        if self.offer_demo:
            call_store(self, _store_call, "demo", "is_empty", name="is_empty", done=self._maybe_offer_demo,
                       failed=lambda e: self.notify(f"Could not tell whether the database is empty: {describe(e)}",
                                                    severity="error", timeout=15))

    def may(self, action: str) -> bool:
        """Whether the acting user's role allows ``action`` (store.rights.ACTIONS); True until it is known."""
        from .rights import may

        return may(self, action)

    def _maybe_offer_demo(self, empty: bool) -> None:
        if not empty or not self.may("import"):
            return

        def answered(yes):
            if yes:
                from store.demo import fill

                self.notify("Adding demo data...", timeout=3)
                call_store(self, fill, name="demo_fill", done=self._demo_done,
                           failed=lambda e: self.notify(describe(e), severity="error", timeout=8))

        self.push_screen(ConfirmScreen("This database is empty. Add demo data (items, serials, documents) "
                                       "to look around?"), answered)

    def _demo_done(self, counts) -> None:
        self.notify(f"Demo data added: {counts['items']} items, {counts['documents']} documents.", timeout=5)
        if isinstance(self.screen, MenuScreen):
            self.screen.on_screen_resume()

    # --- keys that arrive while the screen changes ------------------------------------------------
    _held: list | None = None  # keys held back while a screen is being pushed or popped
    _held_early = 0  # how many of them were taken back from a widget of the screen that was leaving
    _hold_timer = None
    HOLD_AT_MOST = 3.0  # seconds: a lookup slower than this lets the keys through to what has the focus

    def hold_keys(self, at_most: float | None = None) -> None:
        """From now until the next screen has its focus, keys wait here instead of going to a widget
        that is about to leave (a quantity typed straight after scanning an item belongs to the line
        form that the scan opens, serials scanned straight after the quantity to the serial entry).
        ``at_most``: seconds until they go to what has the focus anyway (default HOLD_AT_MOST)."""
        if self._held is None:
            self._held, self._held_early = [], 0
        self._switches += 1  # a release scheduled for an earlier screen switch no longer applies
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(at_most or self.HOLD_AT_MOST, self.release_keys)

    def drop_held_keys(self) -> list:
        """Stop holding keys and return them unused (the screen they waited for is not coming: a serial
        form that was closing stays open); the caller says what they were."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        self._switches += 1
        held, self._held = self._held or [], None
        return held

    def describe_keys(self, events_) -> str:
        """Keys as an operator would name them: the text they typed quoted, command keys by name
        ('P-7', ctrl+s)."""
        parts, text = [], ""
        for e in events_:
            ch = e.character
            if ch and ch.isprintable() and e.key not in ("enter", "tab"):
                text += ch
                continue
            if text:
                parts.append(repr(text))
                text = ""
            if e.key not in ("enter", "tab"):
                parts.append(self.get_key_display(Binding(e.key, "")))
        if text:
            parts.append(repr(text))
        return ", ".join(parts)

    def take_back_key(self, event) -> None:
        """A key that reached a widget after the screen began to change: held with the others, before
        those that arrived at the app later."""
        from textual import events

        self._held.insert(self._held_early, events.Key(event.key, event.character))
        self._held_early += 1

    def release_keys(self) -> None:
        """Send the held keys on, in order, to whatever has the focus now."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        held, self._held = self._held or [], None
        closes = getattr(self.screen, "CLOSE_KEYS", ())
        for i, event in enumerate(held):
            # handed on now, not posted to the app's queue: a key already waiting there came later
            (self.screen.focused or self.screen)._forward_event(event)
            if event.key in closes and i + 1 < len(held):
                # a key that closes this screen: the rest wait for the screen it leads to (as on_event)
                self.hold_keys()
                self._held.extend(held[i + 1:])
                break

    _switches = 0

    def _release_when_shown(self) -> None:
        """Release once the screen switched to has painted and taken its focus, unless another switch
        (a form closing, then the next opening from its callback) came meanwhile."""
        self._switches += 1
        token = self._switches

        def release():
            if token != self._switches or self._held is None:
                return
            screen = self.screen
            if screen.focused is None and (not screen.is_mounted or screen.focus_chain):
                self.set_timer(0.02, release)  # it is still being built, or its focus is on the way
                return
            self.release_keys()

        # the new screen takes its focus in its on_mount (call_later); a screen with nothing to paint
        # next may not refresh for a while, so a short timer releases too, whichever comes first
        self.call_after_refresh(lambda: self.call_after_refresh(release))
        self.set_timer(0.05, release)

    async def on_event(self, event) -> None:
        from textual import events

        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held is not None:
                self._held.append(event)
                return
            if event.key in getattr(self.screen, "CLOSE_KEYS", ()):
                # a key that closes this screen (a serial form's F10): keys already on their way after
                # it, in the same write (F10 then ctrl+s), are for the screen it leads back to. Hold them
                # now, as they reach the app, not once the key has made its way to its binding; the
                # screen lets them go if it stays (release_keys / drop_held_keys).
                await super().on_event(event)
                self.hold_keys()
                return
        await super().on_event(event)

    def push_screen(self, *args, **kwargs):
        self.hold_keys()
        result = super().push_screen(*args, **kwargs)
        self._release_when_shown()
        return result

    def pop_screen(self):
        self.hold_keys()
        result = super().pop_screen()
        self._release_when_shown()
        return result

    # --- keys nothing could use ----------------------------------------------------------------
    _unused: str = ""
    _unused_keys: list = []
    _unused_timer = None
    UNUSED_REPORT_AFTER = 0.15  # seconds after the last unused key: a whole scan is named at once

    async def _on_key(self, event) -> None:
        """A key that bubbled up here unused by any widget: a binding, else key_not_used."""
        event.prevent_default()  # instead of App._on_key, not as well
        if await self._check_bindings(event.key):
            return
        if not await dispatch_key(self, event):
            self.key_not_used(event)

    NARROW_MESSAGES = 40  # columns: under this a scan not used is said in its short form

    def key_not_used(self, event) -> None:
        """A key (or a scan's keys) that nothing on this screen could use: the bell rings once, and the
        screen's status line (or a notification on a dialog) names what was not used and what to do.
        No scan is ever lost without a word."""
        if self._unused_timer is None:
            self.bell()
            self._unused, self._unused_keys = "", []
        else:
            self._unused_timer.stop()
        self._add_unused(event)
        self._unused_timer = self.set_timer(self.UNUSED_REPORT_AFTER, self._report_unused)

    def _add_unused(self, event) -> None:
        ch = event.character
        if ch and ch.isprintable() and event.key not in ("enter", "tab"):
            self._unused += ch
        elif event.key.startswith("f") and event.key[1:].isdigit() or event.key.startswith("ctrl+"):
            # a command key that does nothing here is named; arrows at the end of a list only ring
            self._unused_keys.append(self.get_key_display(Binding(event.key, "")))

    def _report_unused(self) -> None:
        self._unused_timer = None
        text, keys = self._unused, self._unused_keys
        self._unused, self._unused_keys = "", []
        from textual.screen import ModalScreen

        modal = isinstance(self.screen, ModalScreen)
        if text and self.size.width < self.NARROW_MESSAGES:  # a handheld: what fits in a few rows
            message = (f"Not used: {text!r}; " + ("Esc, then scan again." if modal
                                                  else f"{self.key_of('app.lookup', 'F2')} looks it up."))
        elif text:
            message = (f"Not used: {text!r}: " + ("answer or close this first (Esc), then scan or type it again."
                                                  if modal else "nothing on this screen takes a scan; open a "
                                                  f"document, or {self.key_of('app.lookup', 'F2')} to look it up."))
        elif keys:
            message = f"{', '.join(keys)} does nothing here" + (f" ({self.help_key()} lists the keys)." if not modal
                                                                else ".")
        else:
            return
        statuses = [s for s in self.screen.query(StatusLine) if s.display]
        if statuses:
            statuses[0].say(message, error=True, bell=False)
        elif say_on_dialog(self.screen, message):  # inside the dialog, not in a notification over it
            self._keep_screen_refusal(message)
        else:
            self.notify_refusal(message, severity="warning")

    def notify_refusal(self, message: str, *, severity: str = "error") -> None:
        """A refusal on a screen without a status line (the menu, a question): a notification, kept for
        ctrl+l with this screen's refusals, since the notification goes after a few seconds."""
        self.notify(message, severity=severity, timeout=6)
        self._keep_screen_refusal(message)

    def _keep_screen_refusal(self, message: str) -> None:
        """A refusal said on a screen without a status line, kept for ctrl+l there and after."""
        entry = f"{time.strftime('%H:%M:%S')} {message}"
        self.screen.__dict__.setdefault("_notified_refusals", []).append(entry)
        self.keep_refusal(entry)

    def keep_refusal(self, entry: str) -> None:
        """A refusal said on any screen (``entry``: 'HH:MM:SS message'), for ctrl+l on the screens after."""
        self.refusal_log.append(entry)
        del self.refusal_log[:-StatusLine.KEPT]

    def action_messages(self) -> None:
        """ctrl+l: the refusals said on this screen, whole, then those said earlier on other screens."""
        if isinstance(self.screen, MessagesScreen):
            self.screen.dismiss(None)
            return
        here: list[str] = []
        for status in self.screen.query(StatusLine):
            here += status.refusals
        here += self.screen.__dict__.get("_notified_refusals", [])
        title = str(getattr(self.screen, "title_text", None) or getattr(self.screen, "TITLE", None)
                    or type(self.screen).__name__)
        earlier = [m for m in self.refusal_log if m not in set(here)]
        # in the order they were said: by their time, and within one second as they came (a burst's)
        here.sort(key=lambda entry: entry[:8])
        self.push_screen(MessagesScreen(title, here, earlier[-MessagesScreen.EARLIER:]))

    # --- navigation ---------------------------------------------------------------------------
    def open_agenda(self, index: int) -> None:
        from . import agendas

        self.push_screen(getattr(agendas, AGENDAS[index][1])())

    def new_document(self, kind: str) -> None:
        from .document import DocumentScreen
        from .rights import document_action, may, refusal

        if not may(self, document_action(kind, False)):
            self.notify_refusal(refusal(self, document_action(kind, False)))
            return
        self.push_screen(DocumentScreen(kind=kind))

    def check_action(self, action: str, parameters) -> bool | None:
        from textual.screen import ModalScreen

        from .rights import allowed

        if action == "command_palette" and isinstance(self.screen, ModalScreen):
            return False  # in a form or question: its `Open ...` would put screens over the open form
        return allowed(self, action)

    def action_import_excel(self) -> None:
        from .excel import FileJob, import_job

        self.push_screen(FileJob("Import from Excel (all or nothing)", "", import_job(self.operator),
                                 again="Its documents would be made a second time."))

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
            # a binding's tooltip is its longer wording, where the footer has room only for a word
            grouped.setdefault((b.action, b.tooltip or b.description), []).append(
                self.get_key_display(Binding(key, b.action)))
        keys += [("/".join(shown), description) for (_action, description), shown in grouped.items()]
        from textual.screen import ModalScreen

        common = self._app_keys()
        if isinstance(screen, ModalScreen):  # in a form or question only the app's priority keys work
            common = [(k, d) for k, d in common if d.startswith("The refusals")]
        title = getattr(screen, "title_text", None) or getattr(screen, "TITLE", None)
        if not title and isinstance(screen, ConfirmScreen):
            title = "Question"
        self.push_screen(HelpScreen(str(title or type(screen).__name__), keys, common=common))

    def key_of(self, binding_id: str, default: str) -> str:
        """The key(s) of a binding as bound now, as hints write them (``F1``, ``ctrl+l``): the settings'
        [keymap] if it moves the binding, else ``default``."""
        keys = self._keymap.get(binding_id)
        if not keys:
            return default
        return "/".join(k.upper() if k[:1] == "f" and k[1:].isdigit() else k for k in keys.split(","))

    def help_key(self) -> str:
        """The key that opens the help (F1 unless the settings' [keymap] moved it)."""
        return self.key_of("app.help", "F1")

    APP_KEYS = [("app.lookup", "F2", "Lookup a serial, item or EAN"), ("app.menu", "F9", "Back to the menu"),
                ("app.messages", "ctrl+l", "The refusals said here (and earlier), whole"),
                (None, "ctrl+p", "Command palette: every agenda and action"), ("app.quit", "ctrl+q", "Quit")]

    def _app_keys(self) -> list[tuple[str, str]]:
        """The app's own keys for the help, as bound now (a [keymap] in the settings file remaps them)."""
        return [(self.key_of(bid, key) if bid else key, description) for bid, key, description in self.APP_KEYS]

    def action_quit_ask(self) -> None:
        if isinstance(self.screen, ConfirmScreen):
            return
        dirty = any(getattr(s, "dirty", False) for s in self.screen_stack)
        question = "Quit serialstock?" + (" Your unsaved document is kept as a draft and offered when you "
                                          "next start." if dirty else "")
        self.push_screen(ConfirmScreen(question), lambda yes: yes and self.exit())

    # --- drafts left by a dropped connection ----------------------------------------------------
    def _offer_drafts(self, drafts) -> None:
        """Offer each draft in turn. Resuming takes r (or F10); Esc, or anything unclear, keeps the
        draft for later; discarding takes F8 and a second question saying what will be lost."""
        if not drafts:
            return
        draft, rest = drafts[0], drafts[1:]

        def next_draft():
            if rest:
                self.call_later(self._offer_drafts, rest)

        def discard_answered(yes):
            if yes:
                from store.drafts import delete_draft

                call_store(self, delete_draft, draft.id,
                           done=lambda _: self.notify(f"Discarded the draft: {draft.summary}.", timeout=5))
                next_draft()
            else:
                self._offer_drafts(drafts)  # asked again: nothing is lost by a wrong key

        def answered(choice):
            from .document import DocumentScreen

            if choice == "resume":
                self.push_screen(DocumentScreen(kind=draft.kind, number=draft.number, draft=draft))
                next_draft()
            elif choice == "discard":
                self.push_screen(ConfirmScreen(f"Discard the draft for good? {draft.summary} will be lost.",
                                               "y: discard it   n/Esc: keep it"), discard_answered)
            else:
                self.notify("The draft is kept: it is offered again at your next start.", timeout=5)
                next_draft()

        when = draft.updated_at.strftime("%Y-%m-%d %H:%M") + " UTC"
        self.push_screen(DraftQuestion(f"You have an unsaved {draft.summary} (kept {when})."), answered)


class DraftQuestion(ConfirmScreen, inherit_bindings=False):
    """Resume (r, F10), later (Esc, l), or discard (F8, then a second question)."""

    BINDINGS = [
        Binding("r,f10", "answer('resume')", "Resume", id="draft.resume"),
        Binding("escape,l", "answer('later')", "Later", id="draft.later"),
        Binding("f8", "answer('discard')", "Discard", id="draft.discard"),
    ]
    KEYS_TEXT = "r: resume it   Esc: later   F8: discard"
