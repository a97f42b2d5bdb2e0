"""Quick lookup (F2 anywhere, or `serialstock lookup`): scan or type a serial, an item code or an EAN
and see at once what it is, where it is, whether it is in stock, and its latest movements. The scan
field keeps the focus, so the next scan needs no other key. Written to be read at 20x16."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen

from store.lookups import LookupResult, lookup
from store.models import SerialStatus

from .common import call_store, describe, fmt_day, fmt_qty
from .widgets import KeyFooter, Plain, ScanInput, StatusLine


def describe_result(r: LookupResult) -> str:
    """The answer as short lines (20 columns wide where it can be)."""
    out: list[str] = []
    for s in r.serials:
        status = SerialStatus(s.status)  # its words in capitals, to stand out on a handheld
        last = s.history[-1] if s.history else None
        # out of stock by a stock count's adjustment: missing at the count, not sold
        written_off = (status is SerialStatus.ISSUED and last is not None and last.kind == "adjustment"
                       and last.direction < 0 and last.state == 0)
        if status is SerialStatus.IN_STOCK:
            state = f"{status.label.upper()} {s.warehouse}"
        elif written_off:
            state = f"WRITTEN OFF from {s.warehouse}"
        elif status is SerialStatus.ISSUED:
            state = f"{status.label.upper()} from {s.warehouse}"
        else:
            state = status.where(None).upper().replace("(RECEIPT DELETED)", "(receipt deleted)")
        out += [f"Serial {s.code}", f"{s.item} {s.item_name}", state]
        # supplier (or returning customer) and customer; a document without a partner gives the date only
        if s.received_from:
            out.append(f"From {s.received_from} {fmt_day(s.received_on)}")
        elif s.received_on:
            out.append(f"Received {fmt_day(s.received_on)}")
        if written_off:
            out.append(f"Written off {fmt_day(last.date or last.at)} by {last.document} (missing at a count)")
        elif s.issued_to:
            out.append(f"To {s.issued_to} {fmt_day(s.issued_on)}")
        elif s.issued_on:
            out.append(f"Issued {fmt_day(s.issued_on)}")
        for m in reversed(s.history or []):
            label = m.text
            out += [f" {label} {m.warehouse} {fmt_day(m.date or m.at)[5:]}", f"   {m.document}"]
            if m.partner:
                out.append(f"   {m.partner}")
            if m.invoice:
                out.append(f"   for {m.invoice}")
        if s.earlier:  # the lookup shows the latest movements; the history lists them all
            out.append(f" {s.earlier} earlier movement{'' if s.earlier == 1 else 's'}: F6 lists all")
        out.append("")
    for i in r.items:
        out += [f"Item {i.code}", i.name, "tracked by serial" if i.tracked else "no serials"]
        if i.ean:
            out.append(f"EAN {i.ean}")
        for st in i.stock:
            out.append(f" {st.warehouse}: {fmt_qty(st.quantity)} {st.unit}")
        if not i.stock:
            out.append(" no stock")
        out.append("")
    return "\n".join(out).rstrip()


class LookupScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="lookup.back"),
        Binding("f5", "again", "Again", id="lookup.again"),
        # not in the footer (a 20-column handheld keeps F1 there): the answer names it when it applies
        Binding("f6", "history", "History", id="lookup.history", show=False,
                tooltip="The whole history of the serial shown (the answer lists its latest 5 movements)"),
        # the answer scrolls while the scan field keeps the focus for the next scan
        Binding("down", "scroll(1)", "Scroll", show=False, id="lookup.down"),
        Binding("up", "scroll(-1)", "Scroll up", show=False, id="lookup.up"),
        Binding("pagedown", "scroll(5)", "Page down", show=False, id="lookup.pagedown"),
        Binding("pageup", "scroll(-5)", "Page up", show=False, id="lookup.pageup"),
    ]
    HELP_EXTRA = [("Enter/Tab", "End a scan: what it is, where it is"), ("Up/Down, PgUp/PgDn", "Scroll the answer")]
    TITLE = "Lookup"

    def __init__(self) -> None:
        super().__init__()
        self.last = ""
        self.result: LookupResult | None = None

    def compose(self) -> ComposeResult:
        yield Plain("Lookup", classes="screen-title")
        yield ScanInput(placeholder="Serial, item or EAN", compact=True, id="scan")
        with VerticalScroll(id="answer-box"):
            yield Plain("", id="answer")
        yield StatusLine("", id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#scan").focus()

    @on(ScanInput.Scanned, "#scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        text = event.text.strip()
        if not text:
            self.query_one(StatusLine).say("An empty scan: scan again.", error=True)
            return
        self.last = text
        self.query_one(StatusLine).say(f"Looking up {text}...", bell=False)
        call_store(self, lookup, text, group="lookup", exclusive=True, done=self._show,
                   failed=lambda e: self.query_one(StatusLine).say(describe(e), error=True))

    @on(ScanInput.Many, "#scan")
    def _pasted(self, event: ScanInput.Many) -> None:
        from store.serials import split_serials

        codes = split_serials(event.text)
        if codes:
            self._scanned(ScanInput.Scanned(event.input, codes[-1]))

    def _show(self, result: LookupResult) -> None:
        status = self.query_one(StatusLine)
        answer = self.query_one("#answer", Plain)
        if not result.found:
            answer.update("")
            status.say(f"{result.text}: no serial, item or EAN has this code.", error=True)
            return
        self.result = result
        text = describe_result(result)
        answer.update(text)
        box = self.query_one("#answer-box")
        box.scroll_home(animate=False)
        n = len(result.serials) + len(result.items)
        more = " (Down scrolls)" if text.count("\n") + 1 > box.size.height else ""
        status.say(f"{result.text}: {n} found{more}", bell=False)

    def action_scroll(self, lines: int) -> None:
        box = self.query_one("#answer-box")
        box.scroll_relative(y=lines, animate=False)

    def action_history(self) -> None:
        """F6: the whole history of the serial shown (the first, when several items have that code)."""
        serials = self.result.serials if self.result is not None else []
        if not serials:
            self.query_one(StatusLine).say("Scan a serial first: F6 lists its whole history.", error=True)
            return
        from .agendas import SerialHistoryScreen

        self.app.push_screen(SerialHistoryScreen(serials[0].code, item=serials[0].item))

    def action_again(self) -> None:
        if self.last:
            self._scanned(ScanInput.Scanned(self.query_one("#scan", ScanInput), self.last))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.action_quit_ask()
