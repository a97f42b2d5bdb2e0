"""Widgets that several screens use: the inputs that end a field or a scan as its terminator arrives
and tell a scanner's burst from typing (tui.keys says why they work as they do), the routing of a
scan made while a list has the focus, the one-line status, the compact footer, and plain text."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Label, Static

from . import keys
from .keys import Bursts, printable


@dataclass
class InputText(Message):
    """A message from one of these inputs about some text (``input``, ``text``; ``control`` for @on)."""

    input: Input
    text: str

    @property
    def control(self) -> Input:
        return self.input


class KeyedInput(Input):
    """An input that ends at Enter or Tab as the key arrives (``ended(text)``), and hands on keys that
    were already queued for it when it gave the focus away. Not "select all on focus": keys routed
    to it arrive before the focus does, and selecting them would let the next key replace them."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)
        self.bursts = Bursts()

    _typed_ahead = ""  # characters of a burst not yet put in the field (see _on_key)
    _flush_scheduled = False
    holds_keys = False  # its terminator opens or closes a screen: keys after it wait for that screen
    tab_advances = False  # Tab moves to the next field (a form field a person fills), Enter ends
    scan_replaces = False  # a scan after text typed by hand replaces that text
    advances = False  # its terminator moves to the next field at once: keys after it go there
    _after_end = False

    async def _on_key(self, event: events.Key) -> None:
        app = self.app
        if getattr(app, "_held", None) is not None and (self._after_end or self.screen is not app.screen):
            # the screen is changing: this key was typed for the screen that comes next
            event.stop()
            event.prevent_default()
            app.take_back_key(event)
            return
        self._after_end = False
        focused = self.screen.focused if self.is_attached else None
        if focused is not None and focused is not self and self.screen.is_active:
            # queued for this input before an earlier terminator moved the focus on: it belongs there
            event.stop()
            event.prevent_default()
            focused.post_message(events.Key(event.key, event.character))
            return
        if self._typed_ahead and not (self.bursts.last >= 0 and event.time - self.bursts.last < keys.BURST_GAP):
            self._flush_typed_ahead()
        in_burst = self.bursts.key(event, self.value + self._typed_ahead)
        ch = printable(event)
        if ch is not None and in_burst and self.cursor_at_end and self.selection.start == self.selection.end:
            # a scanner's burst: its characters are gathered and put in the field at once, instead of
            # one reactive update and repaint per key (a 600-scan burst took seconds of the event loop)
            event.stop()
            event.prevent_default()
            self._typed_ahead += ch
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self.call_after_refresh(self._flush_typed_ahead)
            return
        if self._typed_ahead:
            self._flush_typed_ahead()
        if event.character == "\x1d":  # GS from a GS1 scanner: Input would drop it; shown as its symbol
            event.stop()
            event.prevent_default()
            self.insert_text_at_cursor("\u241d")
            return
        if event.key == "tab" and self.tab_advances:
            event.stop()
            event.prevent_default()
            self.screen.focus_next()
            return
        if event.key in ("enter", "tab"):
            event.stop()
            event.prevent_default()
            if self.holds_keys and hasattr(app, "hold_keys"):
                app.hold_keys()
                self._after_end = True
            scanned = in_burst and self.bursts.run >= 3
            self.ended(self.value, scanned=scanned)
            self.bursts.reset()
            if self.advances and self.screen.focused is self:
                self.screen.focus_next()  # now, not once the message is handled: the next key goes there
            return
        await super()._on_key(event)

    def _flush_typed_ahead(self) -> None:
        self._flush_scheduled = False
        text, self._typed_ahead = self._typed_ahead, ""
        if text:
            self.insert_text_at_cursor(text)

    def set_advances(self, advances: bool = True) -> "KeyedInput":
        self.advances = advances
        return self

    def ended(self, text: str, *, scanned: bool) -> None:
        """Enter or Tab: by default the form's Submitted, at once."""
        start = self.bursts.typed_prefix()
        if self.scan_replaces and scanned and start and text.startswith(start):
            text = text[len(start):]
            self.value = text
        self.post_message(self.Submitted(self, text))


class ScanInput(KeyedInput):
    """The scan field. Enter or Tab ends a scan; a scan made after text typed by hand (a filter) is
    the scan alone, never the two run together. A pasted list becomes many serials."""

    class Scanned(InputText):
        """A scan (or a line typed and ended with Enter/Tab)."""

    class Many(InputText):
        """A pasted list."""

    routed = False  # characters were typed into it while a list had the focus (route_scan_key)

    def ended(self, text: str, *, scanned: bool) -> None:
        start = self.bursts.typed_prefix()
        if scanned and start and text.startswith(start):
            text = text[len(start):]  # typed filter text, then a scan: the scan is what counts
        self.value = ""
        self.routed = False
        self.post_message(self.Scanned(self, text))

    def _on_paste(self, event) -> None:
        if any(sep in event.text for sep in "\n\r,;\t"):
            event.stop()
            event.prevent_default()
            self.post_message(self.Many(self, event.text))
            return
        super()._on_paste(event)


class TypedInput(KeyedInput):
    """A field a person types (a quantity): a scanner's burst into it is refused, not taken as the
    value (a short barcode scanned into Quantity would become a line of 4,006,381 units). A burst
    of fewer than SCAN_AT_LEAST characters is taken (a handheld may send a typed "12" in one packet).
    It selects its text on focus, so that typing replaces the old value."""

    SCAN_AT_LEAST = 5

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("select_on_focus", True)
        super().__init__(*args, **kwargs)

    class BurstRefused(InputText):
        """A scanner's burst, not taken as the field's value."""

    def ended(self, text: str, *, scanned: bool) -> None:
        start = self.bursts.typed_prefix()
        burst = text[len(start):] if text.startswith(start) else text
        if scanned and len(burst) >= self.SCAN_AT_LEAST:
            self.value = start
            self.post_message(self.BurstRefused(self, burst))
            return
        super().ended(text, scanned=scanned)


def route_scan_key(screen, event, scan: ScanInput, *, keep_space: bool = False) -> None:
    """For a screen's on_key: a scan made while a list has the focus goes into the scan field, not to
    the list (where its letters and its Enter would act on the row under the cursor). It replaces
    what the field held (a filter typed earlier), and its spaces are part of it. The focus stays
    put until the terminator, so that every key of the burst arrives by the same way, in order. Text
    typed on the list by hand and then a scan (TYPED_PAUSE or more later) is the scan alone, as in
    the field itself (ScanInput.ended, keys.Bursts)."""
    if screen.focused is not scan and isinstance(screen.focused, Input):
        return  # another field of the screen: its keys are its own
    terminator = event.key in ("enter", "tab")
    if screen.focused is scan:
        # the field takes its own keys before they get here: this one was on its way to the list when
        # the focus moved to the field (after a routed scan's Enter): it belongs in the field, in order
        ch = event.character
        if ch and ch.isprintable() and not terminator:
            event.stop()
            event.prevent_default()
            scan.bursts.key(event, scan.value)
            scan.insert_text_at_cursor(ch)
        elif terminator and scan.value:  # its terminator, on its way to the list too
            event.stop()
            event.prevent_default()
            _end_routed(scan, event)
        return
    if terminator:
        if scan.routed and scan.value:
            event.stop()
            event.prevent_default()
            _end_routed(scan, event)
            scan.focus()
        return
    ch = event.character
    if ch == "\x1d":
        ch = "\u241d"  # GS of a GS1 scan, kept (store.gs1 reads it as GS)
    if ch and ch.isprintable() and not (keep_space and ch == " " and not scan.routed):
        event.stop()
        event.prevent_default()
        if not scan.routed:
            scan.value = ""  # a new scan: not appended to a filter typed before
            scan.bursts.reset()
        scan.routed = True
        scan.bursts.key(event, scan.value)
        scan.insert_text_at_cursor(ch)


def _end_routed(scan: ScanInput, event) -> None:
    """The terminator of keys routed into the scan field: the scan, as the field itself ends one."""
    in_burst = scan.bursts.key(event, scan.value)
    scan.ended(scan.value, scanned=in_burst and scan.bursts.run >= 3)
    scan.bursts.reset()


class KeyFooter(Footer):
    """The keys of the screen, compact: a 20-column handheld shows two or three. The command palette
    (ctrl+p) is listed in F1 help instead of taking a footer slot."""

    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)


class Plain(Static):
    """Text shown as it is: item names and serials are data, not markup."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(*args, **kwargs)


class FitLabel(Label):
    """A form field's label that says as much as fits: the first of its texts (longest first) that is
    no wider than the form, so that a 20-column handheld reads `Partner: code or name`, not a label
    cut mid-word."""

    DEFAULT_CSS = "FitLabel { width: 100%; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self, *texts: str, **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(texts[0], **kwargs)
        self.texts = texts

    def on_resize(self) -> None:
        width = self.content_region.width
        if width > 0:
            self.update(next((t for t in self.texts if len(t) <= width), self.texts[-1]))


class StatusLine(Plain):
    """One line for the last message: never a dialog between scans, and never more than one row, so
    that the list and its count stay in view on a 40x8 handheld (a longer message ends in '…';
    ctrl+l lists this screen's refusals whole). Refusals are marked with '!' (not by colour alone)
    and ring the bell. A refusal stays for a moment even if a good scan follows at once, so that a
    burst of scans cannot wipe it before it is read; refusals in a row are counted, and every one
    is kept in ``refusals`` (newest last) to be read again."""

    DEFAULT_CSS = """
    StatusLine { height: 1; width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusLine.-error { background: $error 30%; text-style: bold; }
    StatusLine.-ok { background: $success 20%; }
    """
    HOLD_SECONDS = 3.0
    KEPT = 200  # refusals kept to be read again (ctrl+l)

    _error_at = 0.0
    _errors = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refusals: list[str] = []

    def say(self, text: str, *, error: bool = False, bell: bool = True, minor: bool = False) -> None:
        """``minor``: routine news (a serial added) that must not wipe a refusal shown a moment ago."""
        now = time.monotonic()
        held = now - self._error_at < self.HOLD_SECONDS
        if minor and not error and held:
            return  # keep the refusal on screen; the good news is in the count
        if error:
            entry = f"{time.strftime('%H:%M:%S')} {text}"
            self.refusals.append(entry)
            del self.refusals[:-self.KEPT]
            keep = getattr(self.app, "keep_refusal", None)
            if keep is not None:
                keep(entry)
            self._errors = self._errors + 1 if held else 1  # bell or not, a refusal in a row is counted
            self._error_at = now
            shown = f"! {text}" if self._errors == 1 else f"! ({self._errors} refused, ^l lists) {text}"
        else:
            self._errors = 0
            self._error_at = 0.0
            shown = text
        self.set_class(error, "-error")
        self.set_class(not error and bool(text), "-ok")
        self._full = " ".join(shown.split())
        self.update(self._fitted())
        if error and bell:
            self.app.bell()
        # a message of more rows shrinks the list above it: keep its cursor row (the newest serial) in view
        self.call_after_refresh(self._keep_cursors_in_view)

    TALL_ROWS = 3  # rows a message may wrap to on a screen of 12 rows or more (app.tcss .-tall StatusLine)
    _full = ""

    def _fitted(self) -> str:
        """The message as it fits: on a tall screen, when it wraps past TALL_ROWS, its third row ends in
        '…' (CSS cuts a taller text with no mark); on a short one CSS ends the one row with '…'."""
        text = self._full
        width = self.content_region.width
        if not text or width < 2 or not self.is_attached or not self.screen.has_class("-tall"):
            return text
        from textual.content import Content

        lines = Content(text).wrap(width)
        if len(lines) <= self.TALL_ROWS:
            return text
        kept = [line.plain.strip() for line in lines[: self.TALL_ROWS]]
        last = kept[-1][: width - 1].rstrip()
        return " ".join(kept[:-1] + [last]) + "…"

    @property
    def message(self) -> str:
        """The last message whole, as said (on a screen it may be cut after 3 rows, or 1 under 12 rows)."""
        return self._full

    def on_resize(self) -> None:
        if self._full:
            self.update(self._fitted())

    def _keep_cursors_in_view(self) -> None:
        from textual.widgets import OptionList

        if not self.is_attached:
            return
        for widget in self.screen.query(OptionList):
            if widget.highlighted is not None:
                widget.scroll_to_highlight()
        for table in self.screen.query(DataTable):
            if table.row_count:
                table._scroll_cursor_into_view()
