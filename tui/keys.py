"""Keys as they come from a real terminal: a person's typing and a scanner's bursts.

A scanner types a barcode and its terminator (Enter or Tab) faster than any person: its keys arrive
less than BURST_GAP apart. Textual hands each key to the focused widget's own queue, and checks
bindings (Enter included) only once a key has bubbled back up to the app, after the keys that follow
it were handed on: so an input (tui.widgets.KeyedInput) ends a scan or a field as the terminator
arrives, and passes on any key that was already on its way to it when its terminator moved the focus
to the next field. Every key reaches the field it was meant for, in order; a key that nothing on the
screen can use rings the bell and is named on the screen (SerialStockApp.key_not_used), never dropped
silently. Here: the burst gap, the burst detector the inputs use, and KeyGuard for a screen where one
key acts.
"""

from __future__ import annotations

from textual import events

# Keys closer together than this (seconds) come from a scanner or a paste, not from a person's typing:
# a person's fastest key repeat is ~30 ms, a scanner over SSH sends a whole barcode in one packet or
# about a byte a millisecond.
BURST_GAP = 0.025

# A pause shorter than this (seconds) inside a scan is the network or the machine, not a person: text
# typed before a scan counts as a typed filter only when the scan began at least this long after it
# (Bursts). A person's pause between typing a filter and pulling a scanner's trigger is longer.
TYPED_PAUSE = 0.25


def printable(event: events.Key) -> str | None:
    """The character a key types, or None for a key that types nothing (arrows, F-keys, Enter)."""
    ch = event.character
    return ch if ch and ch.isprintable() and event.key not in ("enter", "tab") else None


class Bursts:
    """Tells a burst (keys < BURST_GAP apart) from typing, per widget, by the keys' arrival times, and
    what text a person typed into the field before a scan began (a filter, which the scan replaces).

    Text counts as typed before the scan only when the scan began at least TYPED_PAUSE after it: a
    person who typed a filter takes longer than that to aim a scanner, while a scan that reaches us in
    two packets (a busy network over SSH, or a busy machine reading the terminal late) pauses for less.
    Text that itself came in a burst is never a typed filter."""

    def __init__(self) -> None:
        self.last = -1.0
        self.start_value = ""  # the field's text when the current scan (or typing) began
        self.run = 0  # keys in the current run
        self.prefix_typed = True  # start_value came from keys typed one at a time, by a person
        self.machine = False  # a key of the current run came within BURST_GAP of the key before it

    def key(self, event: events.Key, value: str) -> bool:
        """Record a key (``value``: the field's text before it); True when it came in the same burst as
        the key before it."""
        gap = event.time - self.last if self.last >= 0 else None
        in_burst = gap is not None and gap < BURST_GAP
        self.last = event.time
        if not in_burst:
            if self.machine:
                # the text so far came in a burst that paused (a scan split across two reads of the
                # terminal): it is the start of this scan, not a filter typed before it
                self.prefix_typed = False
            if gap is None or gap >= TYPED_PAUSE:
                self.start_value = value
            self.run = 0
            self.machine = False
        self.run += 1
        if in_burst:
            self.machine = True
        return in_burst

    def typed_prefix(self) -> str:
        """The text typed by hand before the current burst began ('' if none or if it was a burst)."""
        return self.start_value if self.prefix_typed else ""

    def reset(self) -> None:
        self.start_value, self.run, self.prefix_typed, self.machine = "", 0, True, False


class KeyGuard:
    """For a screen where one key acts (a menu digit, y/n, a choice's number): the key acts only once no
    other key follows it within TYPED_PAUSE, so a scanned code holding that key acts on nothing, even
    when the scan reaches us in two packets (its first character alone, the rest tens of milliseconds
    later). A scan's keys are named in order by the app (key_not_used), the bell rung once; so are two
    keys typed closer together than TYPED_PAUSE, and a printable key that acts on nothing here. Enter
    (or Tab) right after one held key, even in the same packet, makes it act at once (no barcode is one
    character long); alone, Enter is left to the screen."""

    def __init__(self) -> None:
        self.last = -1.0
        self.held: list[events.Key] = []  # keys waiting to see whether more follow
        self.action = None  # what the first held key does here (None: nothing)
        self.pending = None  # the timer that lets the held key act
        self.burst_at = -1.0  # the last key of a scan: a key soon after it is that scan's too

    def key(self, screen, event: events.Key, action=None) -> bool:
        """Call from the screen's on_key; ``action``: what the key does here (None: nothing). True when
        the key was taken here; False leaves it to the bindings and widgets (arrows, Enter, Esc)."""
        now = event.time
        gap = now - self.last if self.last >= 0 else None
        self.last = now
        terminator = event.key in ("enter", "tab")
        typing = printable(event) is not None or terminator
        after_scan = self.burst_at >= 0 and now - self.burst_at < TYPED_PAUSE
        if terminator and len(self.held) == 1 and not after_scan:
            # one key and Enter, even in one packet (a handheld keypad sends a typed `6`⏎ so): no
            # barcode is one character long, so the key acts now
            event.stop()
            event.prevent_default()
            self._stop()
            screen.call_later(self._fire, screen)
            return True
        if (gap is not None and gap < BURST_GAP) or (after_scan and typing):
            self._stop()
            self.burst_at = now
            held, self.held, self.action = self.held, [], None
            event.stop()
            event.prevent_default()
            for e in held:
                screen.app.key_not_used(e)
            screen.app.key_not_used(event)
            return True
        if self.held and terminator:  # Enter after two keys typed close together: neither acts
            event.stop()
            event.prevent_default()
            self._stop()
            screen.call_later(self._fire, screen)
            return True
        if action is None and printable(event) is None:
            return False
        event.stop()
        event.prevent_default()
        self._stop()
        if self.held:
            self.held.append(event)  # a second key before the first could act: neither acts
        else:
            self.held, self.action = [event], action
        self.pending = screen.set_timer(TYPED_PAUSE, lambda: self._fire(screen))
        return True

    def _stop(self) -> None:
        if self.pending is not None:
            self.pending.stop()
            self.pending = None

    def _fire(self, screen):
        self.pending = None
        held, self.held = self.held, []
        action, self.action = self.action, None
        if len(held) == 1 and action is not None:
            import inspect

            result = action()
            # run_action's coroutine is awaited by the timer; dismiss()'s awaitable must not be
            return result if inspect.iscoroutine(result) else None
        for e in held:
            screen.app.key_not_used(e)
        return None
