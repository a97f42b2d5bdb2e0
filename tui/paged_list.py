"""A list over any number of records: a window of rows read from the database a page at a time, in
either direction, drawn line by line (Textual's Line API), never all rows at once.

The list holds at most MAX_ROWS rows around the cursor. As the cursor nears either end of the window,
the next page that way is read in a thread (keyset paging: the rows after the last one held, or
before the first); the far end is dropped. ctrl+Home and ctrl+End read the first or last page of the
whole result. Where the cursor is shows in the header row, right-aligned: `1,234 of 1,000,000`
(counted in a thread; until the count comes, `1,234 of …`).

The owner hands in a ``source`` with:
- ``fetch(after_row, limit, descending)``: rows after ``after_row`` in list order (None: from the
  start), or with ``descending`` the rows before it, nearest first (None: from the end);
- ``count()``: how many rows the whole result has (may be an estimate);
- ``key(row)``: a text that names the record; ``cells(row)``: the texts of its columns.
Both run in a worker thread with a database connection (tui.common.call_store).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from rich.segment import Segment
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from .common import call_store


class Source(Protocol):
    def fetch(self, after_row: Any | None, limit: int, descending: bool) -> list[Any]: ...

    def count(self) -> int: ...

    def key(self, row: Any) -> str: ...

    def cells(self, row: Any) -> tuple: ...


def _fit(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text[:width].ljust(width)


class PagedList(Widget, can_focus=True):
    DEFAULT_CSS = """
    PagedList { height: 1fr; width: 1fr; }
    PagedList > .paged-list--header { text-style: bold; background: $panel; }
    PagedList > .paged-list--cursor { background: $block-cursor-blurred-background; }
    PagedList:focus > .paged-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground;
                                            text-style: bold; }
    PagedList > .paged-list--position { color: $text-muted; background: $panel; }
    """
    COMPONENT_CLASSES = {"paged-list--header", "paged-list--cursor", "paged-list--position"}

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="list.up"),
        Binding("down", "move(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.pagedown"),
        Binding("ctrl+home", "first", "First", show=False, id="list.first"),
        Binding("ctrl+end", "last", "Last", show=False, id="list.last"),
        Binding("left", "sideways(-4)", "Left", show=False, id="list.left"),
        Binding("right", "sideways(4)", "Right", show=False, id="list.right"),
        Binding("home", "sideways_home", "Leftmost", show=False, id="list.leftmost"),
        Binding("end", "sideways_end", "Rightmost", show=False, id="list.rightmost"),
        Binding("enter", "select", "Open", show=False, id="list.select"),
    ]

    PAGE = 100  # rows a read brings
    MAX_ROWS = 400  # rows held at most
    CAP = 40  # widest a column grows

    @dataclass
    class Highlighted(Message):
        paged_list: PagedList
        row: Any

        @property
        def control(self) -> "PagedList":
            return self.paged_list

    class Selected(Highlighted):
        pass

    class Loaded(Highlighted):
        """Rows were shown (a reset, a refresh or a page)."""

    def __init__(self, columns: list[tuple[str, int | None]], *, source: Source | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = columns
        self.source = source
        self.rows: list[Any] = []
        self._cells: list[tuple] = []
        self.cursor = 0  # index in rows
        self.top = 0  # index in rows of the first row drawn
        self.shift_x = 0
        self.more_before = False
        self.more_after = False
        # where the window is in the whole result: `offset` rows before it ("start") or after it ("end")
        self.anchor = "start"
        self.window_offset = 0
        self.total: int | None = None
        self.loaded = False  # the first read came back
        self._widths = [len(label) if w is None else w for label, w in columns]
        self._generation = 0  # bumped by a reset: a read for an earlier one is dropped
        self._busy: str | None = None  # "after" / "before" / "reset" / "refresh" while a read is on its way
        self._pending = 0  # cursor moves asked for past the rows held, made once they come
        self._on_failure: Callable[[Exception], None] | None = None

    # --- what the owner calls ----------------------------------------------------------------
    @property
    def reading(self) -> bool:
        return self._busy is not None

    @property
    def cursor_row(self) -> int:
        return self.cursor

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def get_row_at(self, index: int) -> tuple:
        return self._cells[index]

    def current(self) -> Any | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def current_key(self) -> str | None:
        row = self.current()
        return None if row is None else self.source.key(row)

    def position(self) -> int | None:
        """The cursor's place in the whole result, from 1."""
        if not self.rows:
            return None
        if self.anchor == "start":
            return self.window_offset + self.cursor + 1
        if self.total is None:
            return None
        return max(1, self.total - self.window_offset - len(self.rows) + self.cursor + 1)

    def position_text(self) -> str:
        if not self.loaded:
            return "…"
        if not self.rows:
            return "0 of 0" if self.total in (0, None) else f"0 of {self.total:,}"
        at = self.position()
        total = f"{self.total:,}" if self.total is not None else "…"
        return f"{at:,} of {total}" if at is not None else f"… of {total}"

    def reset(self, *, at_end: bool = False, failed: Callable[[Exception], None] | None = None) -> None:
        """Read from the start (or the end) of the result as the source filters it now."""
        self._on_failure = failed or self._on_failure
        self._generation += 1
        self._pending = 0
        self.total = None
        self._read(None, self.PAGE, at_end, kind="reset")  # then the count (one worker at a time)

    def redraw(self, keys=None) -> None:
        """The texts of the rows held (those of ``keys`` only, when given) made again from the source,
        for a change the list itself does not read (a row ticked in the serial picker)."""
        if self.source is None:
            return
        wanted = None if keys is None else set(keys)
        changed = False
        for i, row in enumerate(self.rows):
            if wanted is None or self.source.key(row) in wanted:
                self._cells[i] = tuple(self.source.cells(row))
                changed = True
        if changed:
            self.refresh()

    REFRESH_MARGIN = 20  # rows read again above and below those on screen
    RECOUNT_EVERY = 6  # refreshes (of 5 s on the agendas) between counts when nothing on screen changed
    # (a list whose count is cheap, as the picker's serials of one item in one warehouse, sets 1)
    _refreshes = 0

    def refresh_rows(self) -> bool:
        """Read again the rows on screen and a few either side, keeping the cursor on its record; the
        rest of the window is let go (read again as the cursor goes there), so that a refresh every
        few seconds costs a few dozen rows, not the whole window. False if a read is on its way."""
        if self._busy is not None or self.source is None:
            return False
        held = self.rows
        lo = max(0, min(self.top, self.cursor) - self.REFRESH_MARGIN)
        hi = min(len(held), max(self.top + self._visible(), self.cursor + 1) + self.REFRESH_MARGIN)
        first = held[lo] if held and (lo > 0 or self.more_before) else None
        n = max(hi - lo, min(self.PAGE, self.MAX_ROWS - 1))
        source, generation = self.source, self._generation

        def window():
            if first is None:
                rows = source.fetch(None, n, False)
                return [], rows, len(rows) >= n
            before = source.fetch(first, 1, True)
            rows = source.fetch(before[0] if before else None, n, False)
            return before, rows, len(rows) >= n

        def done(result):
            self._busy = None
            if generation != self._generation or self.rows is not held:
                return
            before, after, more_after = result
            rows = before + after
            # the cursor as it is now: keys pressed while the read was on its way count
            keep, keep_index, keep_top = self.current_key(), self.cursor, self.cursor - self.top
            # a list shown from its first row stays so: rows new at its start (a document just made,
            # newest first) come into view above the cursor instead of being scrolled out of it
            at_start = self.top == 0 and lo == 0 and not self.more_before
            old_keys = [source.key(r) for r in held[lo:hi]]
            keys = [source.key(r) for r in rows]
            cells = [tuple(source.cells(r)) for r in rows]
            grew = hi == len(held) and not self.more_after and len(after) > len(old_keys)  # new rows at the end
            if keys[len(before):len(before) + len(old_keys)] == old_keys and not grew and \
                    cells[len(before):len(before) + len(old_keys)] == self._cells[lo:hi]:
                self.post_message(self.Loaded(self, self.current()))  # read, and nothing changed
                return False
            index = keys.index(keep) if keep in keys else max(0, min(keep_index - lo + len(before), len(rows) - 1))
            # where the window is now in the whole result
            if self.anchor == "start":
                self.window_offset += lo
                if old_keys and old_keys[0] in keys:
                    self.window_offset = max(0, self.window_offset - keys.index(old_keys[0]))
            else:
                self.window_offset += len(held) - hi
                if old_keys and old_keys[-1] in keys:
                    self.window_offset = max(0, self.window_offset - (len(keys) - 1 - keys.index(old_keys[-1])))
                elif keys and keys[-1] in old_keys:
                    self.window_offset += len(old_keys) - 1 - old_keys.index(keys[-1])
            self.more_before = bool(before)
            self.more_after = more_after or hi < len(held)
            self._set_rows(rows, cells)
            self.cursor = index
            self.top = 0 if at_start else max(0, self.cursor - keep_top)
            self._after_move(announce=keep not in keys, loaded=True)
            return True

        def finished(result):
            changed = done(result)
            self._near_edge()  # a move asked for past the rows held while this read was on its way
            self._refreshes += 1
            if changed or self.total is None or self._refreshes % self.RECOUNT_EVERY == 0:
                # counted again when the rows on screen changed, else every few refreshes: a count of
                # a million rows every 5 s is mostly work for nothing
                self._count()

        self._busy = "refresh"
        call_store(self, window, group="paged-list", done=finished, failed=self._failed)
        return True

    # --- reading ----------------------------------------------------------------------------
    def _count(self) -> None:
        source, generation = self.source, self._generation
        if source is None:
            return

        def done(total):
            if generation == self._generation:
                self.total = total
                self._refresh_header()

        call_store(self, source.count, group="paged-list-count", exclusive=True, done=done,
                   failed=lambda exc: None if generation != self._generation else self._failed(exc, count=True))

    def _read(self, edge: Any | None, limit: int, descending: bool, *, kind: str) -> None:
        source, generation = self.source, self._generation
        if source is None:
            return
        self._busy = kind

        def done(rows):
            if generation != self._generation:
                return
            self._busy = None
            self._arrived(kind, rows, limit, descending)

        call_store(self, source.fetch, edge, limit, descending, group="paged-list", done=done,
                   failed=lambda exc: generation == self._generation and self._failed(exc))

    def _failed(self, exc: Exception, *, count: bool = False) -> None:
        if not count:
            self._busy = None
            self._pending = 0
        if self._on_failure is not None:
            self._on_failure(exc)

    def _arrived(self, kind: str, page: list[Any], limit: int, descending: bool) -> None:
        full = len(page) >= limit
        cells = [tuple(self.source.cells(r)) for r in page]
        if kind == "reset":
            if descending:
                page, cells = page[::-1], cells[::-1]
                self.anchor, self.window_offset, self.more_before, self.more_after = "end", 0, full, False
                self._set_rows(page, cells)
                self.cursor = len(page) - 1
                self.top = max(0, self.cursor - self._visible() + 1)
            else:
                self.anchor, self.window_offset, self.more_before, self.more_after = "start", 0, False, full
                self._set_rows(page, cells)
                self.cursor = self.top = 0
            self.loaded = True
            self._after_move(announce=True, loaded=True)
            if self.total is None:
                self._count()
            return
        if kind == "after":
            self.more_after = full
            rows, all_cells = self.rows + page, self._cells + cells
            if self.anchor == "end":
                self.window_offset = max(0, self.window_offset - len(page))
            drop = max(0, len(rows) - self.MAX_ROWS)
            if drop:
                rows, all_cells = rows[drop:], all_cells[drop:]
                self.cursor, self.top = max(0, self.cursor - drop), max(0, self.top - drop)
                self.more_before = True
                if self.anchor == "start":
                    self.window_offset += drop
            self._set_rows(rows, all_cells, cells)
        else:  # before
            self.more_before = full
            page, cells = page[::-1], cells[::-1]
            rows, all_cells = page + self.rows, cells + self._cells
            self.cursor += len(page)
            self.top += len(page)
            if self.anchor == "start":
                self.window_offset = max(0, self.window_offset - len(page))
            drop = max(0, len(rows) - self.MAX_ROWS)
            if drop:
                rows, all_cells = rows[:-drop], all_cells[:-drop]
                self.more_after = True
                if self.anchor == "end":
                    self.window_offset += drop
            self._set_rows(rows, all_cells, cells)
        pending, self._pending = self._pending, 0
        if pending:
            self._move_to(self.cursor + pending)
        else:
            self._after_move(announce=False, loaded=True)

    def _set_rows(self, rows: list[Any], cells: list[tuple], new: list[tuple] | None = None) -> None:
        """Hold these rows; the auto columns widen to fit ``new`` (the cells of a page just read; None:
        all of them), so that a page costs its own rows, not the whole window's."""
        self.rows, self._cells = rows, cells
        for row in cells if new is None else new:
            for i, text in enumerate(row[:len(self._widths)]):
                if self.columns[i][1] is None:
                    n = len(" ".join(str(text).split()))
                    if n > self._widths[i]:
                        self._widths[i] = min(n, self.CAP)
        if self.rows:
            self.cursor = min(self.cursor, len(self.rows) - 1)
        else:
            self.cursor = self.top = 0

    # --- moving -----------------------------------------------------------------------------
    def _visible(self) -> int:
        return max(1, self.size.height - 1)

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        if index >= len(self.rows) and self.more_after:
            self._pending = index - (len(self.rows) - 1)
            index = len(self.rows) - 1
        elif index < 0 and self.more_before:
            self._pending = index
            index = 0
        self.cursor = max(0, min(index, len(self.rows) - 1))
        self._after_move(announce=True)

    def _after_move(self, *, announce: bool, loaded: bool = False) -> None:
        visible = self._visible()
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + visible:
            self.top = self.cursor - visible + 1
        self.top = max(0, min(self.top, max(0, len(self.rows) - visible)))
        self.refresh()
        self._near_edge()
        if announce or loaded:
            self.post_message((self.Loaded if loaded else self.Highlighted)(self, self.current()))

    def _near_edge(self) -> None:
        if self._busy is not None or not self.rows:
            return
        margin = max(self.PAGE, self._visible() * 3)
        if self.more_after and (len(self.rows) - 1 - self.cursor < margin or self._pending > 0):
            self._read(self.rows[-1], self.PAGE, False, kind="after")
        elif self.more_before and (self.cursor < margin or self._pending < 0):
            self._read(self.rows[0], self.PAGE, True, kind="before")

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta + self._pending)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * self._visible() + self._pending)

    def action_first(self) -> None:
        if self.anchor == "start" and self.window_offset == 0 and not self.more_before:
            self._move_to(0)
            return
        self._generation += 1
        self._pending = 0
        self._read(None, self.PAGE, False, kind="reset")

    def action_last(self) -> None:
        if not self.more_after and self.loaded:
            self._move_to(len(self.rows) - 1)
            return
        self._generation += 1
        self._pending = 0
        total = self.total
        self._read(None, self.PAGE, True, kind="reset")
        self.total = total  # the same result, read from its other end (counted if not yet)

    def action_sideways(self, delta: int) -> None:
        self.shift_x = max(0, min(self.shift_x + delta, self._line_width() - self.size.width))
        self.refresh()

    def action_sideways_home(self) -> None:
        self.shift_x = 0
        self.refresh()

    def action_sideways_end(self) -> None:
        self.shift_x = max(0, self._line_width() - self.size.width)
        self.refresh()

    def action_select(self) -> None:
        row = self.current()
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_resize(self) -> None:
        self._after_move(announce=False)

    def on_click(self, event) -> None:
        index = self.top + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor = index
            self._after_move(announce=True)

    def on_mouse_scroll_down(self, event) -> None:
        event.stop()
        self.action_move(3)

    def on_mouse_scroll_up(self, event) -> None:
        event.stop()
        self.action_move(-3)

    # --- drawing ----------------------------------------------------------------------------
    def _line_width(self) -> int:
        return 1 + sum(w + 2 for w in self._widths)

    def _line(self, texts) -> str:
        return " " + "".join(_fit(t, w) + "  " for t, w in zip(texts, self._widths))

    def _refresh_header(self) -> None:
        self.refresh()

    def get_content_height(self, container, viewport, width) -> int:
        return max(1, len(self.rows) + 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            position = f" {self.position_text()} "
            header = self._line(label for label, _ in self.columns)[self.shift_x:]
            room = max(0, width - len(position))
            style = self.get_component_rich_style("paged-list--header")
            pos_style = self.get_component_rich_style("paged-list--position")
            if len(position) > width:
                position = position[-width:]
            return Strip([Segment(header[:room].ljust(room), style), Segment(position, pos_style)], width)
        index = self.top + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        text = self._line(self._cells[index])[self.shift_x:][:width].ljust(width)
        style = self.get_component_rich_style("paged-list--cursor") if index == self.cursor else self.rich_style
        return Strip([Segment(text, style)], width)
