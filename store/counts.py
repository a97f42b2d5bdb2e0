"""Stock counts: count one warehouse by scanning, see what is missing and what is extra, post the difference.

A count is opened for one warehouse, of every item or of some items, and records when it started.
Operators scan serials into it and type counted quantities of untracked items; every entry is written
as it is made, with who made it and when, so that several counters share one count and a count
survives a dropped connection.

At any moment, per item:
- expected: what is in stock in the warehouse now, that is what was there when the count started plus
  what moved in or out since (a receipt posted during the count is no false alarm);
- counted: the serials scanned, or the quantities typed (added up: several counters, and a negative
  entry corrects a mistake);
- missing: expected serials not scanned; extra: scanned serials not expected there (in another
  warehouse, issued, unknown, or known only as another item's serial);
- for untracked items the difference counted - expected. An item the count covers that nobody
  counted is counted as 0.

Posting makes, in one transaction, a stock adjustment (store.documents kind "adjustment", numbered
SA-year-nnnn) that makes stock what was counted: missing serials go out of the warehouse; an extra serial
issued, removed or unknown comes in as a receipt (an unknown one becomes a new serial of the scanned
item), one held by another warehouse is moved from there; untracked differences move as quantities.
Posting is refused when a serial it would move has moved since it was scanned. Deleting the adjustment
reverses it as any document is (store.documents.delete_document); the count stays posted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from . import catalog
from .db import is_postgres, write_transaction
from .documents import (
    KINDS,
    DocumentView,
    Key,
    _apply,
    _availability_problems,
    _Context,
    _create_document,
    _effect,
    _finish,
    _Line,
    _provisional_number,
    _sql,
    _write_lines,
    get_document,
)
from .errors import DocumentRefused, DuplicateSerial, InvalidInput, InvalidSerial, MovedSince, NotFound, Refusal
from .gs1 import parse_scan, serial_of
from .models import CANCELLED, IN_STOCK, ISSUED, OPEN, POSTED, REMOVED, REVERSAL, Item, from_milli, to_milli, utcnow
from .rights import require
from .serials import normalize_serial
from .sql import in_list, timestamp


class CountClosed(Refusal):
    """Scanning into, posting or cancelling a count that is posted or cancelled already."""

    code = "count_closed"
    category = "conflict"


PREFIX = "SC"
COUNTER_KIND = "count"  # its numbers: SC-year-nnnn, from the same counter table as documents'


# --- what callers get back ------------------------------------------------------------------------

@dataclass
class ItemFigures:
    """One item of a count. Quantities in the item's units; ``missing`` and ``extra`` are serials for a
    tracked item, and for an untracked one the shortfall or surplus of what was counted."""

    item: str
    name: str
    tracked: bool
    expected: Decimal
    counted: Decimal
    missing: Decimal
    extra: Decimal

    @property
    def difference(self) -> Decimal:
        """counted - expected: what posting moves (in when above 0)."""
        return self.counted - self.expected


@dataclass
class Totals:
    """The totals of one count. ``expected``, ``counted``, ``missing`` (expected, not scanned) and ``extra``
    (scanned, not expected) are numbers of serial numbers, over the tracked items (Decimal, whole);
    untracked items, whose quantities are in their own units (pcs, m, kg) and do not add up with
    serials or with each other, are counted as items: ``untracked`` how many the count has, and
    ``untracked_differing`` how many of them were counted other than expected (their figures: per item).
    """
    expected: Decimal = Decimal(0)
    counted: Decimal = Decimal(0)
    missing: Decimal = Decimal(0)
    extra: Decimal = Decimal(0)
    untracked: int = 0
    untracked_differing: int = 0


@dataclass
class CountView:
    """One stock count as a front end shows it: its number (SC-YYYY-NNNN), warehouse code, status (open |
    posted | cancelled), the items it covers, who started and closed it and when (UTC), the stock
    adjustment its posting made, and per-item ``figures`` (empty for a cancelled count).
    """
    number: str
    warehouse: str
    status: str  # open | posted | cancelled
    items: list[str]  # the items it covers; empty: every item
    note: str
    operator: str
    started_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str
    adjustment: str | None  # the number of the stock adjustment posting made
    adjustment_deleted: bool  # that adjustment was deleted since (its movements reversed)
    figures: list[ItemFigures] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


@dataclass
class CountRow:
    """A count as the agenda lists it."""

    id: int
    number: str
    warehouse: str
    status: str
    operator: str
    started_at: dt.datetime
    adjustment: str | None
    scans: int


@dataclass
class Difference:
    """A missing or extra serial. ``why``: "missing" | "in another warehouse" | "issued" | "removed" |
    "unknown" | "another item's serial" | "received" (a posted count's extra serial received by its
    adjustment); ``where``: the warehouse holding it (in another warehouse) or the
    items it belongs to (another item's serial)."""

    item: str
    code: str
    why: str
    where: str | None = None
    scanned_by: str | None = None
    scanned_at: dt.datetime | None = None

    @property
    def text(self) -> str:
        """The reason as an operator reads it: "in B", "issued", "serial of TAB-9", ..."""
        if self.why == "in another warehouse":
            return f"in {self.where}"
        if self.why == "another item's serial":
            return f"serial of {self.where}"
        if self.why == REMOVED:
            return "receipt deleted"
        return self.why


@dataclass
class ScanResult:
    """What one scan found: ``expected`` True when the serial is in stock in the counted warehouse;
    otherwise ``why`` says what makes it extra (as Difference.why) and ``where`` as there."""

    number: str
    item: str
    code: str
    expected: bool
    why: str | None = None
    where: str | None = None

    @property
    def text(self) -> str:
        """The scan's outcome as one status-line sentence: "P-001 PHONE-X: counted" or
        "P-001 PHONE-X: extra, issued".
        """
        if self.expected:
            return f"{self.code} {self.item}: counted"
        return f"{self.code} {self.item}: extra, " + Difference(self.item, self.code, self.why or "", self.where).text


# --- helpers ------------------------------------------------------------------------------------

def _dt(value):
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _clock(value) -> str:
    """A scan's time as refusals say it: HH:MM UTC today, else YYYY-MM-DD HH:MM UTC (short: a handheld
    shows three rows of a refusal)."""
    value = _dt(value)
    if value is None:
        return "?"
    return value.strftime("%H:%M UTC" if value.date() == utcnow().date() else "%Y-%m-%d %H:%M UTC")


@dataclass
class _Count:
    id: int
    number: str
    warehouse_id: int
    status: str
    items: list[int]  # empty: every item


def _load(number: str, *, lock: bool = False) -> _Count:
    number = (number or "").strip()
    row = _sql("SELECT id, number, warehouse_id, status FROM stock_count WHERE number = ?"
               + (" FOR UPDATE" if lock and is_postgres() else ""), (number,)).fetchone()
    if row is None:
        raise NotFound(f"No stock count {number}.", document=number, field="number")
    items = [r[0] for r in _sql("SELECT item_id FROM stock_count_item WHERE count_id = ? ORDER BY item_id",
                                (row[0],)).fetchall()]
    return _Count(row[0], row[1], row[2], row[3], items)


def _require_open(c: _Count, doing: str) -> None:
    if c.status == POSTED:
        raise CountClosed(f"{c.number} is posted; a posted count is read-only, so it cannot be {doing}.",
                          document=c.number)
    if c.status == CANCELLED:
        raise CountClosed(f"{c.number} was cancelled; it cannot be {doing}.", document=c.number)


def _wh_code(wh_id) -> str:
    row = _sql("SELECT code FROM warehouse WHERE id = ?", (wh_id,)).fetchone()
    return row[0] if row else "?"


def _wh_codes() -> dict[int, str]:
    return dict(_sql("SELECT id, code FROM warehouse").fetchall())


def _covers(c: _Count, item_id: int) -> bool:
    return not c.items or item_id in c.items


def _item_label(items: list[int]) -> str:
    codes = [r[0] for r in _sql("SELECT code FROM item WHERE " + in_list("id", items)[0] + " ORDER BY code",
                                in_list("id", items)[1]).fetchall()] if items else []
    return ", ".join(codes)


# --- opening, listing, reading ------------------------------------------------------------------

@write_transaction
def open_count(warehouse: str, items: list[str] | None = None, *, operator: str, note: str = "") -> CountView:
    """Open a stock count of ``warehouse`` (a code), of every item or of ``items`` (codes or EANs).
    Returns the count, numbered SC-year-nnnn, started now (UTC).
    Raises NotFound (no such warehouse, or an item not in the price list) or InvalidInput (the note)."""
    require("count")
    if warehouse is None or not str(warehouse).strip():
        raise InvalidInput("A stock count needs the warehouse it counts.", field="warehouse")
    wh = catalog.get_warehouse(warehouse)
    note = catalog.clean_text(note, "note", max_length=2000, required=False) or ""
    item_ids: list[int] = []
    for code in items or []:
        it = catalog.find_item(code or "")
        if it is None:
            raise NotFound(f"No item {str(code or '').strip() or '(empty)'} in the price list; a count covers "
                           "items of the price list.", item=code, field="items")
        if it.id not in item_ids:
            item_ids.append(it.id)
    now = utcnow()
    year = now.year
    seq = int(_sql("INSERT INTO counter (kind, year, last) VALUES (?, ?, 1) ON CONFLICT (kind, year) "
                   "DO UPDATE SET last = counter.last + 1 RETURNING last", (COUNTER_KIND, year)).fetchone()[0])
    number = f"{PREFIX}-{year}-{seq:04d}"
    count_id = _sql("INSERT INTO stock_count (number, year, seq, warehouse_id, status, note, operator, started_at, "
                    "closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (number, year, seq, wh.id, OPEN, note, operator, timestamp(now), "")).fetchone()[0]
    for item_id in item_ids:
        _sql("INSERT INTO stock_count_item (count_id, item_id) VALUES (?, ?)", (count_id, item_id))
    return get_count(number)


def list_counts(*, status: str | None = None, warehouse: str | None = None, search: str | None = None,
                before_id: int | None = None, limit: int = 100, after_id: int | None = None,
                oldest_first: bool = False, count: bool = False) -> list[CountRow] | int:
    """Counts newest first, a page at a time (``before_id``: the last id of the previous page);
    ``oldest_first``: the other way (``after_id``: the last id of the page before); ``count``: how many
    counts these filters find. ``status`` open | posted | cancelled; ``search`` a part of the number or note."""
    where, params = ["1 = 1"], []
    if status:
        where.append("c.status = ?")
        params.append(status)
    if warehouse:  # a code no warehouse has lists nothing, as the document lists do
        where.append("w.code = ?")
        params.append(str(warehouse).strip())
    if search and search.strip():
        where.append("(c.number LIKE ? OR c.note LIKE ?)")
        params += [f"%{search.strip()}%"] * 2
    if count:
        return _sql(f"SELECT COUNT(*) FROM stock_count c JOIN warehouse w ON w.id = c.warehouse_id "
                    f"WHERE {' AND '.join(where)}", params).fetchone()[0]
    if before_id is not None:
        where.append("c.id < ?")
        params.append(before_id)
    if after_id is not None:
        where.append("c.id > ?")
        params.append(after_id)
    order = "ASC" if oldest_first else "DESC"
    rows = _sql("SELECT c.id, c.number, w.code, c.status, c.operator, c.started_at, c.adjustment_number, "
                "(SELECT COUNT(*) FROM stock_count_scan s WHERE s.count_id = c.id) FROM stock_count c "
                f"JOIN warehouse w ON w.id = c.warehouse_id WHERE {' AND '.join(where)} ORDER BY c.id {order} LIMIT ?",
                [*params, int(limit)]).fetchall()
    return [CountRow(r[0], r[1], r[2], r[3], r[4], _dt(r[5]), r[6], r[7]) for r in rows]


def get_count(number: str) -> CountView:
    """A count with its figures per item and its totals (see the module's docstring). NotFound if none."""
    c = _load(number)
    row = _sql("SELECT note, operator, started_at, closed_at, closed_by, adjustment_id, adjustment_number "
               "FROM stock_count WHERE id = ?", (c.id,)).fetchone()
    view = CountView(number=c.number, warehouse=_wh_code(c.warehouse_id), status=c.status,
                     items=_item_label(c.items).split(", ") if c.items else [], note=row[0], operator=row[1],
                     started_at=_dt(row[2]), closed_at=_dt(row[3]), closed_by=row[4] or "",
                     adjustment=row[6], adjustment_deleted=row[6] is not None and row[5] is None)
    view.figures = [] if c.status == CANCELLED else _figures(c)
    view.totals = _totals(view.figures)
    return view


def _totals(figures) -> Totals:
    """Serials of tracked items added up; untracked items counted as items (see Totals)."""
    t = Totals()
    for f in figures:
        if f.tracked:
            t.expected += f.expected
            t.counted += f.counted
            t.missing += f.missing
            t.extra += f.extra
        else:
            t.untracked += 1
            t.untracked_differing += f.counted != f.expected
    return t


def count_totals(number: str) -> Totals:
    """Only the totals of a count (what a counting screen keeps on show)."""
    return get_count(number).totals


def _figures(c: _Count) -> list[ItemFigures]:
    """Per item: expected now, counted, missing and extra. A posted count shows what it posted: its
    figures are those the adjustment moved (expected is then what was in stock before posting)."""
    wh = c.warehouse_id
    if c.status == POSTED:
        return _posted_figures(c)
    scope, params = ("", [])
    if c.items:
        cond, params = in_list("item_id", c.items)
        scope = f" AND {cond}"
    expected = dict(_sql(f"SELECT item_id, quantity FROM stock WHERE warehouse_id = ? AND quantity <> 0{scope}",
                         [wh, *params]).fetchall())
    counted = dict(_sql("SELECT item_id, SUM(quantity) FROM stock_count_scan WHERE count_id = ? GROUP BY item_id",
                        (c.id,)).fetchall())
    matched = dict(_sql("SELECT c.item_id, COUNT(*) FROM stock_count_scan c JOIN serial_number s ON s.id = c.serial_id "
                        "WHERE c.count_id = ? AND s.status = ? AND s.warehouse_id = ? GROUP BY c.item_id",
                        (c.id, IN_STOCK, wh)).fetchall())
    ids = set(expected) | set(counted) | set(c.items)
    return _rows(ids, expected, counted, matched)


def _rows(ids, expected: dict, counted: dict, matched: dict | None) -> list[ItemFigures]:
    if not ids:
        return []
    cond, params = in_list("id", list(ids))
    items = _sql(f"SELECT id, code, name, tracked FROM item WHERE {cond} ORDER BY code", params).fetchall()
    out = []
    for item_id, code, name, tracked in items:
        e, n = from_milli(expected.get(item_id, 0) or 0), from_milli(counted.get(item_id, 0) or 0)
        if tracked and matched is not None:
            m = Decimal(matched.get(item_id, 0))
            missing, extra = e - m, n - m
        else:
            missing, extra = max(e - n, Decimal(0)), max(n - e, Decimal(0))
        out.append(ItemFigures(code, name, bool(tracked), e, n, missing, extra))
    return out


def _posted_figures(c: _Count) -> list[ItemFigures]:
    """A posted count's figures: what was counted (its scans) and what its adjustment moved (its lines, or
    once it is deleted its serials' movements on the ledger); expected = counted - what came in + what went out."""
    counted = dict(_sql("SELECT item_id, SUM(quantity) FROM stock_count_scan WHERE count_id = ? GROUP BY item_id",
                        (c.id,)).fetchall())
    moved_in: dict[int, int] = defaultdict(int)
    moved_out: dict[int, int] = defaultdict(int)
    row = _sql("SELECT adjustment_id FROM stock_count WHERE id = ?", (c.id,)).fetchone()
    number = _sql("SELECT adjustment_number FROM stock_count WHERE id = ?", (c.id,)).fetchone()[0]
    # the adjustment's lines (or, once it is deleted, its movements on the ledger: the same numbers)
    if row[0] is not None:
        for item_id, q in _sql("SELECT item_id, quantity FROM doc_line WHERE document_id = ?", (row[0],)).fetchall():
            (moved_in if q > 0 else moved_out)[item_id] += abs(q)
    elif number:
        for item_id, d, n in _sql(
                "SELECT s.item_id, l.direction, COUNT(*) FROM ledger l JOIN serial_number s ON s.id = l.serial_id "
                "WHERE l.doc_number = ? AND l.state <> ? AND l.warehouse_id = ? GROUP BY s.item_id, l.direction",
                (number, REVERSAL, c.warehouse_id)).fetchall():
            (moved_in if d > 0 else moved_out)[item_id] += n * 1000
    ids = set(counted) | set(moved_in) | set(moved_out) | set(c.items)
    expected = {i: (counted.get(i, 0) or 0) - moved_in.get(i, 0) + moved_out.get(i, 0) for i in ids}
    out = _rows(ids, expected, counted, None)
    if ids:
        cond, params = in_list("id", list(ids))
        by_code = {f.item: f for f in out}
        for item_id, code in _sql(f"SELECT id, code FROM item WHERE {cond}", params).fetchall():
            by_code[code].missing = from_milli(moved_out.get(item_id, 0))
            by_code[code].extra = from_milli(moved_in.get(item_id, 0))
    return out


# --- counting -------------------------------------------------------------------------------------

def _first_scan(count_id: int, item_id: int, code: str):
    return _sql("SELECT operator, at FROM stock_count_scan WHERE count_id = ? AND item_id = ? AND code = ?",
                (count_id, item_id, code)).fetchone()


@write_transaction
def scan_serial(number: str, code: str, *, item: str | None = None, operator: str) -> ScanResult:
    """Record one scanned serial in count ``number``, now, by ``operator``.

    ``item`` (code or EAN) names the item the serial is of; without it the serial is looked up: the item
    whose serial of that code is in stock in the counted warehouse, else the only covered item that has a
    serial of that code. ``code`` may be a GS1 scan (store.gs1.parse_scan): its GTIN names the item and
    its AI 21 the serial. Returns whether it was expected, or why it is extra.
    Raises CountClosed (posted or cancelled), NotFound (no count; no item ``item``; no item of a GS1
    code's GTIN), InvalidGs1 (a GS1 code without a serial, a wrong check digit), InvalidSerial,
    InvalidInput (an untracked item, an item the count does not cover, a serial that cannot be placed
    without its item), DuplicateSerial (scanned in this count already: says by whom and when)."""
    require("count")
    c = _load(number)
    _require_open(c, "counted into")
    it = None
    scan = parse_scan(code)  # a GS1 code: its GTIN gives the item, AI 21 the serial (store.gs1)
    if scan is not None:
        it = catalog.find_item(scan.gtin)
        if it is None:
            raise NotFound(reason=f"no item has the GTIN {scan.gtin} of this code; add its EAN to the item in the "
                           "price list, or choose the item and scan the serial alone.", field="item")
        named = catalog.find_item(item) if item is not None and str(item).strip() else None
        if named is not None and named.id != it.id:
            raise InvalidInput(reason=f"this code is of {it.code} (GTIN {scan.gtin}), not of {named.code}.",
                               item=named.code, field="item")
        code = serial_of(scan, item=it.code)
        item = it.code
    if item is not None and str(item).strip():
        it = catalog.find_item(item)
        if it is None:
            raise NotFound(f"No item {str(item).strip()} in the price list.", item=str(item).strip(), field="item")
        if not it.tracked:
            raise InvalidInput(f"{it.code} does not track serial numbers; type its counted quantity instead.",
                               item=it.code, field="item")
        if not _covers(c, it.id):
            raise InvalidInput(f"{c.number} does not count {it.code}; it counts {_item_label(c.items)}.",
                               item=it.code, field="item", document=c.number)
    code = normalize_serial(code, item=it.code if it else None)
    rows = _sql("SELECT s.id, s.item_id, s.status, s.warehouse_id, i.code, i.tracked FROM serial_number s "
                "JOIN item i ON i.id = s.item_id WHERE s.code = ? ORDER BY i.code", (code,)).fetchall()
    other = None
    if it is not None:
        mine = [r for r in rows if r[1] == it.id]
        row = mine[0] if mine else None
        if row is None and rows:
            other = " or ".join(r[4] for r in rows)
        item_id, item_code = it.id, it.code
    else:
        candidates = [r for r in rows if r[5] and _covers(c, r[1])]
        here = [r for r in candidates if r[2] == IN_STOCK and r[3] == c.warehouse_id]
        if here:
            row = here[0]
        elif len(candidates) == 1:
            row = candidates[0]
        elif candidates:
            raise InvalidInput(reason=f"serial {code} is a serial of {' and of '.join(r[4] for r in candidates)}, "
                               "none of them here; choose its item and scan it again.", serial=code, field="item")
        elif rows:
            raise InvalidInput(reason=f"serial {code} is a serial of {' and of '.join(r[4] for r in rows)}, which "
                               f"{c.number} does not count.", serial=code, item=rows[0][4], field="item")
        else:
            product = catalog.find_item(code)  # an item's code or EAN scanned instead of a serial
            if product is not None and not product.tracked:
                raise InvalidInput(reason=f"{code} is the code of {product.code}, which does not track serial "
                                   "numbers: type its counted quantity instead.", item=product.code, field="quantity")
            if product is not None:
                raise InvalidInput(reason=f"{code} is the code of {product.code}, not a serial number: scan the "
                                   "unit's serial number.", item=product.code, serial=code, field="serial")
            raise InvalidInput(reason=f"serial {code} is unknown; choose its item and scan it again to count it "
                               "as extra.", serial=code, field="item")
        item_id, item_code = row[1], row[4]
    if is_postgres():  # a scan and a posting of the same count queue here, never cross
        _sql("SELECT status FROM stock_count WHERE id = ? FOR SHARE", (c.id,))
    first = _first_scan(c.id, item_id, code)
    if first is not None:
        raise DuplicateSerial(reason=f"serial {code} is counted already: {first[0] or 'someone'} scanned it "
                              f"at {_clock(first[1])}.", serial=code, item=item_code, document=c.number)
    serial_id, status, wh = (row[0], row[2], row[3]) if row is not None else (None, None, None)
    _sql("INSERT INTO stock_count_scan (count_id, item_id, code, quantity, serial_id, seen_status, seen_warehouse_id, "
         "operator, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
         (c.id, item_id, code, 1000, serial_id, status, wh, operator, timestamp(utcnow())))
    if status == IN_STOCK and wh == c.warehouse_id:
        return ScanResult(c.number, item_code, code, True)
    if row is None:
        return ScanResult(c.number, item_code, code, False, "another item's serial" if other else "unknown", other)
    if status == IN_STOCK:
        return ScanResult(c.number, item_code, code, False, "in another warehouse", _wh_code(wh))
    return ScanResult(c.number, item_code, code, False, status)


@write_transaction
def scan_serials(number: str, codes: list[str], *, item: str | None = None, operator: str) -> list[ScanResult]:
    """Several scans at once (a scanner's file, an API call), all or none: each checked as scan_serial
    checks it. Raises DocumentRefused listing every refused serial (nothing is recorded then), or
    NotFound / CountClosed for the count itself."""
    require("count")
    c = _load(number)
    _require_open(c, "counted into")
    out, problems = [], []
    for code in codes:
        try:
            out.append(scan_serial(number, code, item=item, operator=operator))
        except (DuplicateSerial, InvalidInput, InvalidSerial, NotFound) as r:
            if isinstance(r, NotFound) and r.field == "number":
                raise
            problems.append(r)
    if problems:
        raise DocumentRefused(c.number, problems, doing="counted with these scans")
    return out


@write_transaction
def count_quantity(number: str, item: str, quantity, *, operator: str) -> ItemFigures:
    """Add ``quantity`` (units; negative to correct) to the counted quantity of untracked ``item``.
    Returns the item's figures. Raises CountClosed, NotFound (no count, no item), InvalidInput (a tracked
    item, an item not covered, a quantity that is not a number or would make the counted total negative)."""
    require("count")
    c = _load(number)
    _require_open(c, "counted into")
    it = catalog.find_item(item or "")
    if it is None:
        raise NotFound(f"No item {str(item or '').strip() or '(empty)'} in the price list.", item=item, field="item")
    if it.tracked:
        raise InvalidInput(f"{it.code} is tracked by serial number; scan its serials instead.", item=it.code,
                           field="quantity")
    if not _covers(c, it.id):
        raise InvalidInput(f"{c.number} does not count {it.code}; it counts {_item_label(c.items)}.",
                           item=it.code, field="item", document=c.number)
    q = catalog.clean_decimal(quantity, "quantity", places=3, minimum=None)
    if q == 0:
        raise InvalidInput(f"A counted quantity of 0 changes nothing; type how many of {it.code} were counted.",
                           item=it.code, field="quantity")
    if is_postgres():
        _sql("SELECT status FROM stock_count WHERE id = ? FOR UPDATE", (c.id,))
    have = _sql("SELECT COALESCE(SUM(quantity), 0) FROM stock_count_scan WHERE count_id = ? AND item_id = ?",
                (c.id, it.id)).fetchone()[0]
    if have + to_milli(q) < 0:
        raise InvalidInput(f"{it.code}: {from_milli(have)} counted so far; taking off {-q} would make it negative.",
                           item=it.code, field="quantity")
    _sql("INSERT INTO stock_count_scan (count_id, item_id, code, quantity, operator, at) VALUES (?, ?, NULL, ?, ?, ?)",
         (c.id, it.id, to_milli(q), operator, timestamp(utcnow())))
    return next(f for f in _figures(c) if f.item == it.code)


@write_transaction
def remove_scan(number: str, code: str, *, item: str | None = None, operator: str) -> None:
    """Take a scanned serial out of an open count (scanned by mistake, or moved since and to be scanned
    again). Raises CountClosed, NotFound (no count, or the serial is not scanned in it)."""
    require("count")
    c = _load(number)
    _require_open(c, "changed")
    code = normalize_serial(code)
    params: list = [c.id, code]
    extra = ""
    if item:
        extra = " AND item_id = ?"
        params.append(catalog.get_item(item).id)
    n = _sql(f"DELETE FROM stock_count_scan WHERE count_id = ? AND code = ?{extra}", params).rowcount
    if not n:
        raise NotFound(f"Serial {code} is not scanned in {c.number}.", serial=code, document=c.number)


# --- missing and extra ------------------------------------------------------------------------------

def _scope_sql(c: _Count, alias: str) -> tuple[str, list]:
    if c.items:
        cond, params = in_list(f"{alias}.item_id", c.items)
        return f" AND {cond}", params
    return "", []


def missing_serials(number: str, *, limit: int | None = 1000) -> list[Difference]:
    """Serials expected in the counted warehouse (in stock there now, of the covered items) that nobody
    scanned, by item and code; at most ``limit`` (None: all). For an open count only: a posted count's
    missing serials are the outgoing lines of its adjustment."""
    c = _load(number)
    if c.status != OPEN:
        return [d for d in _posted_differences(c) if d.why == "missing"][:limit]
    return [Difference(r[1], r[2], "missing") for r in _missing(c, limit)]


def _posted_differences(c: _Count) -> list[Difference]:
    """A posted count's missing and extra serials: what its adjustment moved out and in (none once it
    is deleted, nor for a cancelled count)."""
    row = _sql("SELECT adjustment_id FROM stock_count WHERE id = ?", (c.id,)).fetchone()
    if c.status != POSTED or row[0] is None:
        return []
    whs = _wh_codes()
    out = []
    for item, code, q, src in _sql("SELECT i.code, ls.code, l.quantity, l.from_warehouse_id FROM doc_line l "
                                   "JOIN item i ON i.id = l.item_id JOIN doc_line_serial ls ON ls.line_id = l.id "
                                   "WHERE l.document_id = ? ORDER BY i.code, ls.code", (row[0],)).fetchall():
        if q < 0:
            out.append(Difference(item, code, "missing"))
        elif src is not None:
            out.append(Difference(item, code, "in another warehouse", whs.get(src, "?")))
        else:
            out.append(Difference(item, code, "received"))
    return out


def _missing(c: _Count, limit: int | None) -> list[tuple]:
    """(item id, item code, code, serial id) of the missing serials."""
    scope, params = _scope_sql(c, "s")
    rows = _sql("SELECT s.item_id, i.code, s.code, s.id FROM serial_number s JOIN item i ON i.id = s.item_id "
                f"WHERE s.warehouse_id = ? AND s.status = ?{scope} AND NOT EXISTS (SELECT 1 FROM stock_count_scan x "
                "WHERE x.count_id = ? AND x.serial_id = s.id) ORDER BY i.code, s.code"
                + (f" LIMIT {int(limit)}" if limit is not None else ""),
                [c.warehouse_id, IN_STOCK, *params, c.id]).fetchall()
    return rows


def _extra_rows(c: _Count, limit: int | None) -> list[tuple]:
    """(item id, item code, code, serial id, status now, warehouse now, seen status, seen warehouse,
    operator, at) of the scans not in stock in the counted warehouse."""
    return _sql("SELECT x.item_id, i.code, x.code, x.serial_id, s.status, s.warehouse_id, x.seen_status, "
                "x.seen_warehouse_id, x.operator, x.at FROM stock_count_scan x JOIN item i ON i.id = x.item_id "
                "LEFT JOIN serial_number s ON s.id = x.serial_id WHERE x.count_id = ? AND x.code IS NOT NULL "
                "AND (s.id IS NULL OR s.status <> ? OR s.warehouse_id <> ?) ORDER BY i.code, x.code"
                + (f" LIMIT {int(limit)}" if limit is not None else ""),
                (c.id, IN_STOCK, c.warehouse_id)).fetchall()


def extra_serials(number: str, *, limit: int | None = 1000) -> list[Difference]:
    """Scanned serials not expected in the counted warehouse, by item and code, each with why (see
    Difference) and who scanned it when; at most ``limit`` (None: all)."""
    c = _load(number)
    if c.status != OPEN:
        return [d for d in _posted_differences(c) if d.why != "missing"][:limit]
    whs = _wh_codes()
    out = []
    for item_id, item, code, sid, status, wh, _s, _w, op, at in _extra_rows(c, limit):
        if sid is None:
            others = [r[0] for r in _sql("SELECT i.code FROM serial_number s JOIN item i ON i.id = s.item_id "
                                         "WHERE s.code = ? AND s.item_id <> ? ORDER BY i.code", (code, item_id))]
            d = Difference(item, code, "another item's serial" if others else "unknown", " or ".join(others) or None)
        elif status == IN_STOCK:
            d = Difference(item, code, "in another warehouse", whs.get(wh, "?"))
        else:
            d = Difference(item, code, status)
        d.scanned_by, d.scanned_at = op, _dt(at)
        out.append(d)
    return out


# --- posting and cancelling ---------------------------------------------------------------------------

@write_transaction
def cancel_count(number: str, *, operator: str) -> CountView:
    """Cancel an open count: its scans stay for the record, nothing moves. Raises NotFound, CountClosed."""
    require("count")
    c = _load(number, lock=True)
    _require_open(c, "cancelled")
    _sql("UPDATE stock_count SET status = ?, closed_at = ?, closed_by = ? WHERE id = ? AND status = ?",
         (CANCELLED, timestamp(utcnow()), operator, c.id, OPEN))
    return get_count(c.number)


def _moved_since(c: _Count) -> list[Refusal]:
    """Scanned serials whose place changed since they were scanned (or that became known since)."""
    rows = _sql("SELECT i.code, x.code, x.operator, x.at, s.status, s.warehouse_id, x.seen_status, x.seen_warehouse_id "
                "FROM stock_count_scan x JOIN item i ON i.id = x.item_id LEFT JOIN serial_number s ON s.id = x.serial_id "
                "WHERE x.count_id = ? AND x.code IS NOT NULL AND ((x.serial_id IS NULL AND EXISTS (SELECT 1 FROM "
                "serial_number y WHERE y.item_id = x.item_id AND y.code = x.code)) OR (x.serial_id IS NOT NULL AND "
                "(s.status <> x.seen_status OR COALESCE(s.warehouse_id, 0) <> COALESCE(x.seen_warehouse_id, 0)))) "
                "ORDER BY i.code, x.code LIMIT 51", (c.id,)).fetchall()
    if not rows:
        return []
    whs = _wh_codes()
    out: list[Refusal] = []
    def place(status, wh):
        if status is None:
            return "unknown"
        return f"in {whs.get(wh, '?')}" if status == IN_STOCK else "issued" if status == ISSUED else "not in stock"

    for item, code, op, at, status, wh, seen, seen_wh in rows[:50]:
        now = "known now (received since)" if seen is None else place(status, wh) + " now"
        out.append(MovedSince(
            reason=f"serial {code} has moved since {op or 'someone'} scanned it at {_clock(at)}: it was "
            f"{place(seen, seen_wh)} then and is {now}; take its scan off and scan it again where it is.",
            serial=code, item=item, document=c.number))
    if len(rows) > 50:
        out.append(MovedSince("... and more serials moved since they were scanned.", document=c.number))
    return out


@write_transaction
def post_count(number: str, *, operator: str) -> DocumentView:
    """Post an open count: one stock adjustment, dated today, makes stock in the warehouse equal what
    was counted (see the module's docstring), and the count becomes posted and read-only.
    Returns the adjustment (a DocumentView of kind "adjustment"; without lines when nothing differed).
    Raises NotFound, CountClosed, DocumentRefused listing MovedSince problems (a serial moved since it was
    scanned: remove its scan, or scan it again after removing it) or other availability problems."""
    require("count")
    c = _load(number, lock=True)
    _require_open(c, "posted")
    moved = _moved_since(c)
    if moved:
        raise DocumentRefused(c.number, moved, doing="posted")
    wh = c.warehouse_id
    today = dt.date.today()
    kind = KINDS["adjustment"]

    missing = _missing(c, None)  # (item id, item code, code, serial id)
    extra = _extra_rows(c, None)
    figures = _figures(c)
    untracked = [f for f in figures if not f.tracked and f.difference != 0]
    item_ids = {r[0] for r in missing} | {r[0] for r in extra}
    codes_of = {}
    if untracked:
        cond, params = in_list("code", [f.item for f in untracked])
        codes_of = {code: i for i, code in _sql(f"SELECT id, code FROM item WHERE {cond}", params).fetchall()}
    item_ids |= set(codes_of.values())
    items = {i.id: i for i in Item.select().where(Item.id.in_(list(item_ids)))} if item_ids else {}

    # lines: per item, the serials going out, those coming in, those coming from each other warehouse
    groups: dict[tuple, list[str]] = defaultdict(list)
    for item_id, _item, code, _sid in missing:
        groups[(items[item_id].code, 0, -1, None)].append(code)
    for item_id, _item, code, sid, status, at_wh, *_ in extra:
        if sid is not None and status == IN_STOCK:
            groups[(items[item_id].code, 2, +1, at_wh)].append(code)
        else:
            groups[(items[item_id].code, 1, +1, None)].append(code)
    by_code = {i.code: i for i in items.values()}
    lines: list[tuple[_Line, int | None]] = []
    for f in untracked:
        groups[(f.item, 3, 0, None)] = []
    outs, ins, transfers = {}, {}, {}
    for position, key in enumerate(sorted(groups, key=lambda k: (k[0], k[1], k[3] or 0)), start=1):
        code, _order, direction, source = key
        it = by_code[code] if code in by_code else items[codes_of[code]]
        serials = sorted(groups[key])
        if direction == 0:
            q = next(f.difference for f in untracked if f.item == code)
        else:
            q = Decimal(direction * len(serials))
        lines.append((_Line(position, it, q, Decimal(it.price), serials), source))
        for s in serials:
            if direction < 0:
                outs[Key(it.id, s, wh, -1)] = position
            elif source is None:
                ins[Key(it.id, s, wh, +1)] = position
            else:
                transfers[Key(it.id, s, source, -1)] = position
                transfers[Key(it.id, s, wh, +1)] = position

    seen: dict = {}
    problems = (_availability_problems("adjustment", {**outs, **ins}, {}, items, seen, date=today)
                + _availability_problems("transfer", transfers, {}, items, seen, date=today))
    if problems:
        raise DocumentRefused(c.number, problems, doing="posted")

    now = utcnow()
    provisional, seq = _provisional_number(kind)
    document = _create_document(
        number=provisional, kind=kind.name, year=today.year, seq=seq, date=today, warehouse_id=wh,
        to_warehouse_id=None, partner_id=None, note=f"Stock count {c.number}", operator=operator,
        generate_movement=None, source_id=None, version=1, created_at=now, updated_at=now)
    _write_lines(document, [ln for ln, _ in lines])
    for ln, source in lines:
        if source is not None:
            _sql("UPDATE doc_line SET from_warehouse_id = ? WHERE document_id = ? AND position = ?",
                 (source, document.id, ln.position))
    ctx = _Context(document, operator, now, items, c.number, seen=seen, doing="posted")
    _apply(ctx, "adjustment", outs)
    _apply(ctx, "transfer", transfers)
    _apply(ctx, "adjustment", ins)
    _, new_qty = _effect("adjustment", wh, None,
                         [(ln.item.id, to_milli(ln.quantity), ln.position, (), source) for ln, source in lines])
    _finish(document, ctx, {}, new_qty, number=True)
    _sql("UPDATE stock_count SET status = ?, closed_at = ?, closed_by = ?, adjustment_id = ?, adjustment_number = ? "
         "WHERE id = ?", (POSTED, timestamp(now), operator, document.id, document.number, c.id))
    return get_document(document.number)


def count_of_adjustment(number: str) -> str | None:
    """The number of the stock count a stock adjustment was posted from (None for another document)."""
    row = _sql("SELECT number FROM stock_count WHERE adjustment_number = ?", ((number or "").strip(),)).fetchone()
    return row[0] if row else None
