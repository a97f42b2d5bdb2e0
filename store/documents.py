"""Documents and posting: goods receipts and issues, purchase and sales invoices, transfers.

Only goods receipts, goods issues and transfers move stock. An invoice with "generate stock
movement" on saves its linked goods receipt (purchase) or goods issue (sales) in the same
transaction; deleting the invoice deletes that document.

Saving is one path for create, edit and delete: the document's effect (which serial goes into or
out of which warehouse, and the quantity per item and warehouse) is computed before and after,
and only the difference is applied, in one transaction. A movement can only be undone while it is
the serial's latest one; otherwise the refusal names the later document.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import peewee

from . import catalog
from .db import db, is_postgres, is_sqlite, placeholders, run_sql, write_transaction
from .errors import (
    DocumentRefused,
    DuplicateSerial,
    GeneratedDocument,
    InsufficientStock,
    InvalidInput,
    InvalidSerial,
    MovedSince,
    NotFound,
    QuantityNotWhole,
    Refusal,
    SerialCountMismatch,
    SerialInStock,
    SerialNotAvailable,
    StaleDocument,
)
from .models import (
    EFFECTIVE,
    IN_STOCK,
    ISSUED,
    REMOVED,
    REVERSAL,
    REVERSED,
    Document,
    Item,
    Ledger,
    Line,
    LineSerial,
    Warehouse,
    from_milli,
    to_milli,
    utcnow,
)
from .serials import normalize_serial


@dataclass(frozen=True)
class Kind:
    name: str
    prefix: str
    title: str
    receives: bool  # serials typed or scanned (True) or picked from stock (False)
    moves_stock: bool
    generates: str | None = None


KINDS: dict[str, Kind] = {
    "receipt": Kind("receipt", "GR", "Goods receipt", True, True),
    "issue": Kind("issue", "GI", "Goods issue", False, True),
    "transfer": Kind("transfer", "TR", "Transfer", False, True),
    "purchase_invoice": Kind("purchase_invoice", "PI", "Purchase invoice", True, False, "receipt"),
    "sales_invoice": Kind("sales_invoice", "SI", "Sales invoice", False, False, "issue"),
}

CHUNK = 900  # stays under every SQLite build's limit of bound variables


# --- what callers pass in and get back --------------------------------------------------------

@dataclass
class LineIn:
    item: str
    quantity: Decimal | int | str
    price: Decimal | int | str | None = None  # None: the item's price
    serials: list[str] = field(default_factory=list)


@dataclass
class DocumentIn:
    kind: str
    lines: list[LineIn] = field(default_factory=list)
    warehouse: str | None = None  # None: the default warehouse
    to_warehouse: str | None = None  # transfers only
    partner: str | None = None
    date: dt.date | None = None  # None: today
    note: str = ""
    generate_movement: bool | None = None  # invoices only; None: the configured default


@dataclass
class LineView:
    position: int
    item: str
    item_name: str
    unit: str
    tracked: bool
    quantity: Decimal
    price: Decimal
    serials: list[str]

    @property
    def serial_count(self) -> int:
        return len(self.serials)


@dataclass
class DocumentView:
    id: int
    number: str
    kind: str
    date: dt.date
    warehouse: str
    to_warehouse: str | None
    partner: str | None
    note: str
    operator: str
    generate_movement: bool | None
    source: str | None  # the invoice that generated this stock document
    generated: str | None  # the stock document this invoice generated
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[LineView]

    @property
    def title(self) -> str:
        return KINDS[self.kind].title

    def to_input(self) -> DocumentIn:
        """The document as input again: what an editor starts from."""
        return DocumentIn(
            kind=self.kind, warehouse=self.warehouse, to_warehouse=self.to_warehouse, partner=self.partner,
            date=self.date, note=self.note, generate_movement=self.generate_movement,
            lines=[LineIn(l.item, l.quantity, l.price, list(l.serials)) for l in self.lines],
        )


# --- small SQL helpers --------------------------------------------------------------------------

_sql = run_sql


def _many(query: str, rows: list) -> None:
    if rows:
        db.cursor().executemany(placeholders(query), rows)


SMALL_INSERT = 64  # rows: up to this many go to PostgreSQL by executemany, more by COPY


def _insert_rows(table: str, columns: tuple[str, ...], rows: list) -> None:
    """Many rows into one table: executemany on SQLite. On PostgreSQL, COPY, whose rows psycopg formats
    in C and the server takes as they stream in (several times faster there than one INSERT per row,
    and than one INSERT ... SELECT FROM unnest(arrays) of them); but a few rows by executemany, which
    psycopg sends in one pipeline: one trip to the server where COPY takes two (the ledger rows of a
    save are written while it holds its number's counter row)."""
    if not rows:
        return
    # peewee's own translation of driver errors, as for its queries: a duplicate key is an IntegrityError
    # (retried by write_transaction), a deadlock an OperationalError.
    if is_sqlite() or len(rows) <= SMALL_INSERT:
        with peewee.__exception_wrapper__:
            _many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_marks(len(columns))})", rows)
        return
    with peewee.__exception_wrapper__, db.cursor() as cur, \
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _ts(value: dt.datetime):
    return str(value) if is_sqlite() else value


def _chunks(seq, size=CHUNK):
    """Lists of values for an IN: chunks under SQLite's variable limit, or the whole list at once on
    PostgreSQL (sent as one array, see _in)."""
    seq = list(seq)
    if not is_sqlite():
        if seq:
            yield seq
        return
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _in(column: str, values: list) -> tuple[str, list]:
    """``column IN (...)`` and its parameters; ``= ANY(array)`` on PostgreSQL."""
    if is_sqlite():
        return f"{column} IN ({_marks(len(values))})", list(values)
    return f"{column} = ANY(?)", [list(values)]


def _lock_serials(ids) -> dict | None:
    """PostgreSQL: lock the serial rows in id order before deciding anything about them, so that
    concurrent savers queue instead of deadlocking; returns their state as it is now that they are
    ours ({(item id, code): (id, status, warehouse id)}: a concurrent saver may have committed since
    the first check). SQLite holds its write lock since before that check, which stands: None."""
    if not is_postgres() or not ids:
        return None
    rows = _sql("SELECT id, item_id, code, status, warehouse_id FROM serial_number WHERE id = ANY(?) "
                "ORDER BY id FOR UPDATE", [sorted(ids)]).fetchall()
    return {(item_id, code): (sid, status, wh) for sid, item_id, code, status, wh in rows}


def _set_serials(ids, assignments: str, params: list) -> None:
    """UPDATE serial rows by id alone (their state was checked under lock): the planner then has only
    the primary key to go by, never a scan of every serial with a status or in a warehouse."""
    for chunk in _chunks(ids):
        cond, in_params = _in("id", chunk)
        _sql(f"UPDATE serial_number SET {assignments} WHERE {cond}", [*params, *in_params])


# --- preparing a document: resolve and validate everything before writing anything --------------

@dataclass
class _Line:
    position: int
    item: Item
    quantity: Decimal
    price: Decimal
    serials: list[str]


@dataclass
class _Prepared:
    kind: Kind
    warehouse: Warehouse
    to_warehouse: Warehouse | None
    partner: object
    date: dt.date
    note: str
    generate_movement: bool | None
    lines: list[_Line]


def check_quantity(item: str, tracked: bool, qty: Decimal, *, line: int | None = None) -> None:
    """A line's quantity: above 0, and whole for an item tracked by serial number."""
    where = f"Line {line} ({item}): " if line is not None else ""
    if qty <= 0:
        raise InvalidInput(f"{where}the quantity must be more than 0.".capitalize() if not where else
                           f"{where}the quantity must be more than 0.", line=line, item=item, field="quantity")
    if tracked and qty != qty.to_integral_value():
        raise QuantityNotWhole(
            f"{where}{item} is tracked by serial number, so the quantity must be whole, not {qty}.",
            line=line, item=item, field="quantity")


def _prepare(doc: DocumentIn, problems: list[Refusal]) -> _Prepared | None:
    kind = KINDS.get(doc.kind)
    if kind is None:
        raise InvalidInput(f"Unknown document kind {doc.kind!r}; use one of {', '.join(KINDS)}.", field="kind")
    try:
        warehouse = catalog.get_warehouse(doc.warehouse)
    except Refusal as r:
        problems.append(r)
        warehouse = None
    to_warehouse = None
    if kind.name == "transfer":
        if not doc.to_warehouse:
            problems.append(InvalidInput("A transfer needs the warehouse it goes to.", field="to_warehouse"))
        else:
            try:
                to_warehouse = catalog.get_warehouse(doc.to_warehouse)
            except Refusal as r:
                r.field = "to_warehouse"
                problems.append(r)
            if warehouse and to_warehouse and warehouse.id == to_warehouse.id:
                problems.append(InvalidInput(
                    f"A transfer goes from one warehouse to another; both are {warehouse.code}.", field="to_warehouse"))
    elif doc.to_warehouse:
        problems.append(InvalidInput("Only a transfer has a warehouse to go to.", field="to_warehouse"))
    partner = None
    try:
        partner = catalog.get_partner(doc.partner)
    except Refusal as r:
        problems.append(r)
    try:
        note = catalog.clean_text(doc.note, "note", max_length=2000, required=False) or ""
    except Refusal as r:
        problems.append(r)
        note = ""
    date = doc.date or dt.date.today()
    if not isinstance(date, dt.date):
        problems.append(InvalidInput(f"The date {date!r} is not a date.", field="date"))
        date = dt.date.today()
    generate = None
    if kind.generates:
        generate = catalog.generate_movement_default(kind.name) if doc.generate_movement is None else bool(doc.generate_movement)
    if not doc.lines:
        problems.append(InvalidInput("A document needs at least one line.", field="lines"))

    lines: list[_Line] = []
    seen: dict[tuple[int, str], int] = {}
    items: dict[str, Item] = {}
    for position, raw in enumerate(doc.lines, start=1):
        code = (raw.item or "").strip()
        item = items.get(code) or catalog.find_item(code)
        if item is None:
            problems.append(NotFound(f"Line {position}: no item {code or '(empty)'} in the price list.",
                                     line=position, item=code, field="item"))
            continue
        items[code] = item
        where = f"Line {position} ({item.code})"
        try:
            qty = catalog.clean_decimal(raw.quantity, "quantity", places=3, minimum=None)
        except Refusal:
            problems.append(InvalidInput(f"{where}: quantity {raw.quantity!r} is not a number.",
                                         line=position, item=item.code, field="quantity"))
            continue
        if qty <= 0:
            problems.append(InvalidInput(f"{where}: the quantity must be more than 0.",
                                         line=position, item=item.code, field="quantity"))
            continue
        try:
            price = item.price if raw.price is None or raw.price == "" else catalog.clean_decimal(raw.price, "price")
        except Refusal as r:
            problems.append(InvalidInput(f"{where}: {r.message}", line=position, item=item.code, field="price"))
            price = item.price
        serials: list[str] = []
        for s in raw.serials or []:
            try:
                serials.append(normalize_serial(s, line=position, item=item.code))
            except InvalidSerial as r:
                problems.append(r)
        if not item.tracked:
            if raw.serials:
                problems.append(InvalidInput(
                    f"{where}: {item.code} does not track serial numbers; remove the serials from this line.",
                    line=position, item=item.code, field="serials"))
        else:
            try:
                check_quantity(item.code, item.tracked, qty, line=position)
            except Refusal as r:
                problems.append(r)
            if qty == qty.to_integral_value() and len(raw.serials or []) != qty:
                n = len(raw.serials or [])
                problems.append(SerialCountMismatch(
                    f"{where}: {n} serial number{'' if n == 1 else 's'} for quantity {qty}",
                    line=position, item=item.code, field="serials"))
            for s in serials:
                first = seen.get((item.id, s))
                if first is not None:
                    also = "on this line" if first == position else f"on line {first}"
                    problems.append(DuplicateSerial(
                        f"{where}: serial {s} is entered twice (also {also}).",
                        serial=s, line=position, item=item.code))
                else:
                    seen[(item.id, s)] = position
        lines.append(_Line(position, item, qty, Decimal(price), serials))
    if warehouse is None:
        return None
    return _Prepared(kind, warehouse, to_warehouse, partner, date, note, generate, lines)


# --- effects: what a stock document does to stock ----------------------------------------------

Key = tuple  # (item_id, code, warehouse_id, direction)


def _effect(kind: str, wh: int, to_wh: int | None, lines) -> tuple[dict, dict]:
    """(serial moves {(item_id, code, warehouse_id, direction): line position},
    quantities {(item_id, warehouse_id): signed milli-units})."""
    moves: dict[Key, int] = {}
    qty: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        item_id, q, pos, codes = line
        if kind == "receipt":
            legs = [(wh, +1)]
        elif kind == "issue":
            legs = [(wh, -1)]
        else:  # transfer: out of one, into the other
            legs = [(wh, -1), (to_wh, +1)]
        for w, d in legs:
            qty[(item_id, w)] += d * q
            for c in codes:
                moves[(item_id, c, w, d)] = pos
    return moves, dict(qty)


def _stored_effect(document: Document) -> tuple[dict, dict, dict]:
    """The effect of a saved stock document: its effective ledger entries and its quantities.
    Returns (moves {key: position}, quantities, entries {key: (ledger id, serial id)})."""
    rows = _sql(
        "SELECT l.id, l.serial_id, s.item_id, s.code, l.warehouse_id, l.direction, l.line_position "
        "FROM ledger l JOIN serial_number s ON s.id = l.serial_id WHERE l.document_id = ? AND l.state = ?",
        (document.id, EFFECTIVE)).fetchall()
    entries = {(r[2], r[3], r[4], r[5]): (r[0], r[1]) for r in rows}
    moves_pos = {(r[2], r[3], r[4], r[5]): r[6] for r in rows}
    lines = [(ln.item_id, to_milli(ln.quantity), ln.position, ()) for ln in document.lines]
    _, qty = _effect(document.kind, document.warehouse_id, document.to_warehouse_id, lines)
    return moves_pos, qty, entries


def _serial_state(pairs) -> dict[tuple[int, str], tuple[int, str, int | None]]:
    """Current {(item_id, code): (serial id, status, warehouse id)} for the given pairs."""
    by_item: dict[int, set] = defaultdict(set)
    for item_id, code in pairs:
        by_item[item_id].add(code)
    state = {}
    for item_id, codes in by_item.items():
        for chunk in _chunks(codes):
            if is_sqlite():
                cond, params = _in("code", chunk)
                rows = _sql(f"SELECT id, code, status, warehouse_id FROM serial_number WHERE item_id = ? AND {cond}",
                            [item_id, *params]).fetchall()
            else:
                # One probe of the (item, code) index per code, whatever the statistics say: as
                # "code = ANY(array)" the planner may scan every serial of the item and test each against
                # the whole array (seconds for a receipt of 10,000 serials), and as a plain join it may
                # hash the codes and still scan the item's serials. OFFSET 0 keeps the lateral
                # subquery from being flattened into such a join.
                rows = _sql('SELECT s.id, s.code, s.status, s.warehouse_id FROM unnest(?::text[]) AS c(code), '
                            'LATERAL (SELECT id, code, status, warehouse_id FROM serial_number '
                            'WHERE item_id = ? AND code = c.code COLLATE "C" OFFSET 0) s',
                            [chunk, item_id]).fetchall()
            for sid, code, status, wh in rows:
                state[(item_id, code)] = (sid, status, wh)
    return state


def _latest_entries(serial_ids) -> dict[int, tuple]:
    """{serial id: (ledger id, doc number, date, direction, warehouse id, doc kind)} of each serial's
    latest effective movement."""
    out = {}
    for chunk in _chunks(serial_ids):
        cond, params = _in("serial_id", chunk)
        rows = _sql(
            "SELECT l.serial_id, l.id, l.doc_number, l.at, l.direction, l.warehouse_id, l.doc_kind FROM ledger l "
            f"JOIN (SELECT serial_id, MAX(id) AS m FROM ledger WHERE state = ? AND {cond} "
            "GROUP BY serial_id) x ON x.m = l.id", [EFFECTIVE, *params]).fetchall()
        for sid, lid, number, at, d, wh, kind in rows:
            out[sid] = (lid, number, at, d, wh, kind)
    return out


def _day(at) -> str:
    if isinstance(at, str):
        return at[:10]
    return at.strftime("%Y-%m-%d") if at else "?"


def _wh_codes() -> dict[int, str]:
    return {w.id: w.code for w in Warehouse.select(Warehouse.id, Warehouse.code)}


def _availability_problems(kind: str, apply: dict, undo: dict, items: dict[int, Item],
                           seen: dict | None = None, state: dict | None = None) -> list[Refusal]:
    """Refusals for moves that cannot be applied given the current stock, after the undo set.
    Receiving: the serial must not be in stock. Issuing: in stock in that warehouse.
    ``seen``: filled with {(item id, code): serial id, or None for a serial not known yet}.
    ``state``: the serials' state as _lock_serials read it (else it is read here)."""
    pairs = {(k[0], k[1]) for k in apply}
    if not pairs:
        return []
    if state is None:
        state = _serial_state(pairs)
    if seen is not None:
        for pair in pairs:
            seen[pair] = state[pair][0] if pair in state else None
    # what the state will be once this document's own undone movements are reversed
    overlay = {}
    for (item_id, code, wh, d) in undo:
        overlay[(item_id, code)] = (ISSUED, None) if d > 0 else (IN_STOCK, wh)
    problems: list[tuple[Key, int, str]] = []  # (key, position, why)
    need_history = set()
    for key, pos in sorted(apply.items(), key=lambda kv: kv[1]):
        item_id, code, wh, d = key
        if kind == "transfer" and d > 0:
            continue  # the in-leg of a transfer is checked through its out-leg
        sid, status, at_wh = state.get((item_id, code), (None, None, None))
        if (item_id, code) in overlay:
            status, at_wh = overlay[(item_id, code)]
        if d > 0 and status == IN_STOCK:
            problems.append((key, pos, "held"))
            need_history.add(sid)
        elif d < 0 and not (status == IN_STOCK and at_wh == wh):
            problems.append((key, pos, status or "unknown"))
            if sid:
                need_history.add(sid)
    if not problems:
        return []
    wh_codes = _wh_codes()
    latest = _latest_entries(need_history)
    out: list[Refusal] = []
    for (item_id, code, wh, d), pos, why in problems:
        item = items[item_id]
        where = f"Line {pos} ({item.code})"
        sid = state.get((item_id, code), (None,))[0]
        hist = latest.get(sid)
        by = f" by {hist[1]} on {_day(hist[2])}" if hist else ""
        if why == "held":
            place = wh_codes.get(state[(item_id, code)][2], "?")
            came = "moved in" if hist and hist[5] == "transfer" else "received"
            out.append(SerialInStock(
                f"{where}: serial {code} is already in stock in {place}{f', {came}' + by if by else ''}.",
                serial=code, line=pos, item=item.code, document=hist[1] if hist else None))
        elif why == "unknown":
            out.append(SerialNotAvailable(
                f"{where}: serial {code} is unknown for {item.code}; only serials in stock can be issued.",
                serial=code, line=pos, item=item.code))
        elif why == ISSUED:
            out.append(SerialNotAvailable(
                f"{where}: serial {code} was issued{by}; it is not in stock.",
                serial=code, line=pos, item=item.code, document=hist[1] if hist else None))
        elif why == REMOVED:
            out.append(SerialNotAvailable(
                f"{where}: serial {code} is not in stock (its receipt was deleted).",
                serial=code, line=pos, item=item.code))
        else:  # in stock, elsewhere
            place = wh_codes.get(state[(item_id, code)][2], "?")
            out.append(SerialNotAvailable(
                f"{where}: serial {code} is in warehouse {place}, not {wh_codes.get(wh, '?')}.",
                serial=code, line=pos, item=item.code))
    return out


# --- applying an effect ------------------------------------------------------------------------

@dataclass
class _Context:
    document: Document
    operator: str
    at: dt.datetime
    items: dict[int, Item]
    label: str  # how refusals name the document: its number, or "The new goods issue" before it exists
    # This save's ledger entries, (serial id, line position, direction, warehouse id, state) in order,
    # written by _finish once the document has its number (the entries carry it).
    ledger: list = field(default_factory=list)
    # {(item id, code): serial id or None} from the check made before anything was written
    seen: dict = field(default_factory=dict)
    doing: str = "saved"  # how a refusal says what could not be done: "saved" or "deleted"


def _serial_ids(ctx: _Context, pairs: set) -> dict[tuple[int, str], int]:
    """{(item id, code): serial id} of the serials among ``pairs`` that exist. From the check made before
    writing when it covered them all: a serial row, once there, stays (one inserted meanwhile by another
    saver makes this save's insert fail on the unique index, and the save is retried)."""
    seen = ctx.seen
    if all(p in seen for p in pairs):
        return {p: seen[p] for p in pairs if seen[p] is not None}
    return {p: v[0] for p, v in _serial_state(pairs).items()}


def _undo(ctx: _Context, undo: dict, entries: dict) -> None:
    """Reverse movements of this document, latest first (a transfer's in-leg before its out-leg)."""
    if not undo:
        return
    for direction in (+1, -1):
        keys = [k for k in undo if k[3] == direction]
        if not keys:
            continue
        pairs = [entries[k] for k in keys]  # (ledger id, serial id)
        serial_ids = [sid for _, sid in pairs]
        _lock_serials(serial_ids)
        latest = _latest_entries(serial_ids)
        moved = [(k, lid, sid) for k, (lid, sid) in zip(keys, pairs) if latest.get(sid, (None,))[0] != lid]
        if moved:
            problems = []
            for (item_id, code, _wh, _d), _lid, sid in moved[:50]:
                later = latest.get(sid)
                by = f"by {later[1]} on {_day(later[2])}" if later else "since"
                problems.append(MovedSince(
                    f"Serial {code} ({ctx.items[item_id].code}) has moved since, {by}; "
                    f"{ctx.document.number} cannot change it.",
                    serial=code, item=ctx.items[item_id].code, document=later[1] if later else None))
            raise DocumentRefused(ctx.label, problems, doing=ctx.doing)
        ledger_ids = [lid for lid, _ in pairs]
        for chunk in _chunks(ledger_ids):
            cond, params = _in("id", chunk)
            _sql(f"UPDATE ledger SET state = ? WHERE {cond}", [REVERSED, *params])
        ctx.ledger += [(sid, undo[k], -k[3], k[2], REVERSAL) for k, (_, sid) in zip(keys, pairs)]
        _recompute_serials(serial_ids)  # from the effective entries only: the reversals can wait


def _recompute_serials(serial_ids) -> None:
    """Set each serial's status and place from its latest effective movement."""
    latest = ("(SELECT {col} FROM ledger l WHERE l.serial_id = serial_number.id AND l.state = 0 "
              "ORDER BY l.id DESC LIMIT 1)")
    status = latest.format(col=f"CASE WHEN l.direction > 0 THEN '{IN_STOCK}' ELSE '{ISSUED}' END")
    for chunk in _chunks(serial_ids):
        cond, params = _in("id", chunk)
        _sql(
            f"UPDATE serial_number SET status = COALESCE({status}, '{REMOVED}'), "
            f"warehouse_id = {latest.format(col='l.warehouse_id')}, "
            "received_at = (SELECT MAX(l.at) FROM ledger l WHERE l.serial_id = serial_number.id "
            "AND l.state = 0 AND l.direction > 0) "
            f"WHERE {cond}", params)


def _apply(ctx: _Context, kind: str, apply: dict) -> None:
    """Apply new movements: outs first (a transfer takes before it gives), then ins."""
    if not apply:
        return
    for direction in (-1, +1):
        by_wh: dict[int, list[Key]] = defaultdict(list)
        for k in apply:
            if k[3] == direction:
                by_wh[k[2]].append(k)
        for wh, keys in sorted(by_wh.items()):
            if direction < 0:
                _apply_out(ctx, kind, wh, keys, apply)
            else:
                _apply_in(ctx, kind, wh, keys, apply)


def _ledger_rows(ids_by_key, keys, apply, wh, direction):
    return [(ids_by_key[k], apply[k], direction, wh, EFFECTIVE) for k in keys]


_LEDGER_COLUMNS = ("serial_id", "document_id", "doc_number", "doc_kind", "line_position", "direction",
                   "warehouse_id", "at", "operator", "state")


def _apply_out(ctx, kind, wh, keys, apply) -> None:
    known = _serial_ids(ctx, {(k[0], k[1]) for k in keys})
    ids_by_key = {k: known[(k[0], k[1])] for k in keys if (k[0], k[1]) in known}
    ids = list(ids_by_key.values())
    locked = _lock_serials(ids)
    if locked is not None:
        # Decide on the rows as they are now that they are ours (asking after our own UPDATE would see
        # our own changes).
        problems = _availability_problems(kind, {k: apply[k] for k in keys}, {}, ctx.items, state=locked)
        if problems:
            raise DocumentRefused(ctx.label, problems)
    _set_serials(ids, "status = ?", [ISSUED])
    ctx.ledger += _ledger_rows(ids_by_key, keys, apply, wh, -1)


def _apply_in(ctx, kind, wh, keys, apply) -> None:
    state = _serial_ids(ctx, {(k[0], k[1]) for k in keys})
    known = [k for k in keys if (k[0], k[1]) in state]
    # new serials are inserted in one order by every saver: two receipts of the same new serials wait on
    # each other's index entries (PostgreSQL) without a deadlock, and the later one is refused on retry
    new = sorted(k for k in keys if (k[0], k[1]) not in state)
    ids_by_key = {k: state[(k[0], k[1])] for k in known}
    if known:
        ids = list(ids_by_key.values())
        locked = _lock_serials(ids)
        if locked is not None and kind != "transfer":  # a transfer's in-leg follows its out-leg, checked there
            problems = _availability_problems(kind, {k: apply[k] for k in known}, {}, ctx.items, state=locked)
            if problems:
                raise DocumentRefused(ctx.label, problems)
        _set_serials(ids, "status = ?, warehouse_id = ?, received_at = ?", [IN_STOCK, wh, _ts(ctx.at)])
    if new:
        # A concurrent insert of the same serial fails on the unique index; the save is retried
        # and then refused by the availability check with the document that holds it.
        at = _ts(ctx.at)
        if is_postgres():  # ids taken from the sequence first: no query afterwards to learn them
            ids = [r[0] for r in _sql("SELECT nextval('serial_number_id_seq') FROM generate_series(1, ?)",
                                      (len(new),)).fetchall()]
            _insert_rows("serial_number", ("id", "item_id", "code", "status", "warehouse_id", "received_at"),
                         [(sid, k[0], k[1], IN_STOCK, wh, at) for sid, k in zip(ids, new)])
            ids_by_key.update(zip(new, ids))
        else:
            _insert_rows("serial_number", ("item_id", "code", "status", "warehouse_id", "received_at"),
                         [(k[0], k[1], IN_STOCK, wh, at) for k in new])
            fresh = _serial_state({(k[0], k[1]) for k in new})
            for k in new:
                ids_by_key[k] = fresh[(k[0], k[1])][0]
    ctx.ledger += _ledger_rows(ids_by_key, keys, apply, wh, +1)


def _apply_quantities(ctx: _Context, old: dict, new: dict) -> None:
    delta = {k: new.get(k, 0) - old.get(k, 0) for k in set(old) | set(new)}
    wh_codes = None
    for (item_id, wh), d in sorted(delta.items()):
        if d > 0:
            _sql("INSERT INTO stock (item_id, warehouse_id, quantity) VALUES (?, ?, ?) "
                 "ON CONFLICT (item_id, warehouse_id) DO UPDATE SET quantity = stock.quantity + ?",
                 (item_id, wh, d, d))
        elif d < 0:
            cur = _sql("UPDATE stock SET quantity = quantity - ? WHERE item_id = ? AND warehouse_id = ? AND quantity >= ?",
                       (-d, item_id, wh, -d))
            if cur.rowcount != 1:
                have = _sql("SELECT quantity FROM stock WHERE item_id = ? AND warehouse_id = ?", (item_id, wh)).fetchone()
                wh_codes = wh_codes or _wh_codes()
                item = ctx.items.get(item_id) or Item.get_by_id(item_id)
                raise DocumentRefused(ctx.label, doing=ctx.doing, problems=[InsufficientStock(
                    f"Not enough {item.code} in {wh_codes.get(wh, '?')}: {from_milli(have[0] if have else 0)} "
                    f"in stock, {from_milli(-d)} needed.", item=item.code)])


# --- numbering ----------------------------------------------------------------------------------

def _next_number(kind: Kind, year: int) -> tuple[str, int]:
    row = _sql("INSERT INTO counter (kind, year, last) VALUES (?, ?, 1) "
               "ON CONFLICT (kind, year) DO UPDATE SET last = counter.last + 1 RETURNING last",
               (kind.name, year)).fetchone()
    seq = int(row[0])
    return f"{kind.prefix}-{year}-{seq:04d}", seq


def _provisional_number(kind: Kind) -> tuple[str, int]:
    """What a new document is stored under until _finish numbers it, just before its transaction commits:
    unique among the documents being saved at once (a clash fails on the unique index and the save is
    retried), never seen outside that transaction."""
    return f"~{kind.prefix}-{secrets.token_hex(12)}", -1 - secrets.randbelow(2**31 - 1)


def _finish(document: Document, ctx: _Context | None, old_qty: dict, new_qty: dict, *, number: bool) -> None:
    """The last steps of every save and deletion: the rows every save of a kind shares come last, so that
    their locks (PostgreSQL) are held from here to the commit only, not while the lines, serials and ledger
    of the document are written. In this order everywhere (serial rows are locked before, in id order):
    the counter of the document's kind and year, then the stock rows by (item, warehouse).
    A generated goods receipt/issue finishes inside its invoice's save, before the invoice is numbered."""
    if number:
        kind = KINDS[document.kind]
        document.number, document.seq = _next_number(kind, document.year)
        _sql("UPDATE document SET number = ?, seq = ? WHERE id = ?", (document.number, document.seq, document.id))
    if ctx is None:
        return
    if ctx.ledger:
        at = _ts(ctx.at)
        d = ctx.document
        _insert_rows("ledger", _LEDGER_COLUMNS,
                     [(sid, d.id, d.number, d.kind, pos, direction, wh, at, ctx.operator, state)
                      for sid, pos, direction, wh, state in ctx.ledger])
        ctx.ledger = []
    _apply_quantities(ctx, old_qty, new_qty)


# --- the services -------------------------------------------------------------------------------

def get_document(number: str) -> DocumentView:
    doc = Document.get_or_none(Document.number == (number or "").strip())
    if doc is None:
        raise NotFound(f"No document {number}.", document=number)
    return _view(doc)


def document_kind(number: str) -> str:
    """The kind of a saved document (one small query), or NotFound."""
    row = Document.select(Document.kind).where(Document.number == (number or "").strip()).tuples().first()
    if row is None:
        raise NotFound(f"No document {number}.", document=number)
    return row[0]


def _view(doc: Document) -> DocumentView:
    wh = _wh_codes()
    lines = list(Line.select(Line, Item).join(Item).where(Line.document == doc).order_by(Line.position))
    serials: dict[int, list[str]] = defaultdict(list)
    if lines:
        for line_id, code in (LineSerial.select(LineSerial.line, LineSerial.code)
                              .where(LineSerial.line.in_([l.id for l in lines]))
                              .order_by(LineSerial.id).tuples()):
            serials[line_id].append(code)
    generated = Document.get_or_none(Document.source == doc) if KINDS[doc.kind].generates else None
    return DocumentView(
        id=doc.id, number=doc.number, kind=doc.kind, date=doc.date, warehouse=wh[doc.warehouse_id],
        to_warehouse=wh.get(doc.to_warehouse_id), partner=doc.partner.code if doc.partner_id else None,
        note=doc.note, operator=doc.operator, generate_movement=doc.generate_movement,
        source=doc.source.number if doc.source_id else None,
        generated=generated.number if generated else None, version=doc.version,
        created_at=doc.created_at, updated_at=doc.updated_at,
        lines=[LineView(l.position, l.item.code, l.item.name, l.item.unit, l.item.tracked, l.quantity,
                        _cents(l.price), serials.get(l.id, [])) for l in lines])


def save_document(doc: DocumentIn, *, operator: str, number: str | None = None,
                  expected_version: int | None = None) -> DocumentView:
    """Create (``number`` None) or replace a document, moving stock by the difference.
    Raises DocumentRefused listing every problem, or another Refusal; nothing is saved then.
    Returns the document as saved: what get_document(number) reads back (built from what was written,
    without reading it again)."""
    return _save_document(doc, operator=operator, number=number, expected_version=expected_version)


@write_transaction
def _save_document(doc: DocumentIn, *, operator: str, number: str | None,
                   expected_version: int | None) -> DocumentView:
    existing = None
    if number is not None:
        existing = Document.get_or_none(Document.number == number.strip())
        if existing is None:
            raise NotFound(f"No document {number}.", document=number)
        if existing.source_id is not None:
            raise GeneratedDocument(
                f"{existing.number} was generated by {existing.source.number}; change that invoice instead.",
                document=existing.number)
    return _save(doc, operator=operator, existing=existing, expected_version=expected_version)


def _save(doc: DocumentIn, *, operator: str, existing: Document | None, expected_version: int | None = None,
          source: Document | None = None) -> DocumentView:
    label = existing.number if existing else f"The new {KINDS[doc.kind].title.lower()}" if doc.kind in KINDS else None
    if existing is not None:
        if existing.kind != doc.kind:
            raise InvalidInput(f"{existing.number} is a {KINDS[existing.kind].title.lower()}; its kind cannot change.",
                               field="kind", document=existing.number)
        if expected_version is not None and existing.version != expected_version:
            raise StaleDocument(
                f"{existing.number} was changed by {existing.operator or 'someone else'} meanwhile; "
                "reopen it to see the changes.", document=existing.number)
    problems: list[Refusal] = []
    prep = _prepare(doc, problems)
    if problems or prep is None:
        raise DocumentRefused(label, problems)
    kind = prep.kind
    items = {l.item.id: l.item for l in prep.lines}
    new_lines = [(l.item.id, to_milli(l.quantity), l.position, l.serials) for l in prep.lines]

    # What changes, for documents that move stock or, for picking invoices, what must be available.
    old_moves, old_qty, entries = ({}, {}, {})
    seen: dict = {}
    if kind.moves_stock:
        if existing is not None:
            old_moves, old_qty, entries = _stored_effect(existing)
            for ln in existing.lines:
                items.setdefault(ln.item_id, ln.item)
        new_moves, new_qty = _effect(kind.name, prep.warehouse.id, prep.to_warehouse.id if prep.to_warehouse else None,
                                     new_lines)
        undo = {k: p for k, p in old_moves.items() if k not in new_moves}
        apply = {k: p for k, p in new_moves.items() if k not in old_moves}
        problems = _availability_problems(kind.name, apply, undo, items, seen)
    elif not kind.receives and not prep.generate_movement:
        # A sales invoice that does not issue now still picks from what is in stock.
        moves, _ = _effect("issue", prep.warehouse.id, None, new_lines)
        problems = _availability_problems("issue", moves, {}, items)
    if problems:
        raise DocumentRefused(label, problems)

    now = utcnow()
    if existing is None:
        number, seq = _provisional_number(kind)
        document = _create_document(
            number=number, kind=kind.name, year=prep.date.year, seq=seq, date=prep.date,
            warehouse_id=prep.warehouse.id, to_warehouse_id=prep.to_warehouse.id if prep.to_warehouse else None,
            partner_id=prep.partner.id if prep.partner else None, note=prep.note, operator=operator,
            generate_movement=prep.generate_movement, source_id=source.id if source else None, version=1,
            created_at=now, updated_at=now)
    else:
        document = existing
        rows = (Document.update(date=prep.date, warehouse=prep.warehouse, to_warehouse=prep.to_warehouse,
                                partner=prep.partner, note=prep.note, operator=operator,
                                generate_movement=prep.generate_movement, updated_at=now,
                                version=Document.version + 1)
                .where((Document.id == existing.id) & (Document.version == existing.version)).execute())
        if rows != 1:
            raise StaleDocument(f"{existing.number} was changed by someone else meanwhile; reopen it.",
                                document=existing.number)
        document = Document.get_by_id(existing.id)
        _delete_lines(document)
    _write_lines(document, prep.lines)

    ctx = None
    generated = None
    if kind.moves_stock:
        ctx = _Context(document, operator, now, items, label, seen=seen)
        for k, pos in new_moves.items():  # kept movements follow their serial to its new line
            if k in old_moves and old_moves[k] != pos:
                _sql("UPDATE ledger SET line_position = ? WHERE id = ?", (pos, entries[k][0]))
        _undo(ctx, undo, entries)
        _apply(ctx, kind.name, apply)
    elif kind.generates:
        generated = _sync_generated(document, doc, prep, operator, label)
    _finish(document, ctx, old_qty, new_qty if kind.moves_stock else {}, number=existing is None)
    return _saved_view(document, prep, source, generated)


def _saved_view(document: Document, prep: _Prepared, source: Document | None, generated: str | None) -> DocumentView:
    """What _view reads back for a document just saved, from what was written (tested to be equal)."""
    return DocumentView(
        id=document.id, number=document.number, kind=document.kind, date=prep.date, warehouse=prep.warehouse.code,
        to_warehouse=prep.to_warehouse.code if prep.to_warehouse else None,
        partner=prep.partner.code if prep.partner else None, note=prep.note, operator=document.operator,
        generate_movement=prep.generate_movement, source=source.number if source else None, generated=generated,
        version=document.version, created_at=document.created_at, updated_at=document.updated_at,
        lines=[LineView(l.position, l.item.code, l.item.name, l.item.unit, l.item.tracked,
                        from_milli(to_milli(l.quantity)), _cents(l.price), list(l.serials)) for l in prep.lines])


CENT = Decimal("0.01")


def _cents(price) -> Decimal:
    """A price as stored (two places), however the database hands it back (SQLite drops trailing zeros)."""
    return Decimal(price).quantize(CENT)


def _create_document(**columns) -> Document:
    """Document.create's INSERT, written out: every save makes one, and the query builder's Python
    cost more than the database's work (dates and Decimals go to SQLite through peewee's adapters)."""
    row = _sql(f"INSERT INTO document ({', '.join(columns)}) VALUES ({_marks(len(columns))}) RETURNING id",
               list(columns.values())).fetchone()
    return Document(id=row[0], **columns)


def _write_lines(document: Document, lines: list[_Line]) -> None:
    if not lines:
        return
    ids = {}
    for i in range(0, len(lines), CHUNK // 5):
        chunk = lines[i:i + CHUNK // 5]
        ids.update(_sql("INSERT INTO doc_line (document_id, position, item_id, quantity, price) VALUES "
                        + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)) + " RETURNING position, id",
                        [v for l in chunk for v in (document.id, l.position, l.item.id, to_milli(l.quantity),
                                                    _cents(l.price))]).fetchall())
    _insert_rows("doc_line_serial", ("line_id", "code"), [(ids[l.position], s) for l in lines for s in l.serials])


def _sync_generated(invoice: Document, doc: DocumentIn, prep: _Prepared, operator: str, label: str) -> str | None:
    """Keep the invoice's goods receipt / goods issue in step with it (``label``: how refusals name the
    invoice, which has no number yet when it is new). Returns the number of that document, if any."""
    linked = Document.get_or_none(Document.source == invoice)
    if not prep.generate_movement:
        if linked is not None:
            _delete(linked, operator)
        return None
    stock_doc = DocumentIn(
        kind=KINDS[invoice.kind].generates, warehouse=prep.warehouse.code, partner=doc.partner, date=prep.date,
        note=prep.note,
        lines=[LineIn(l.item.code, l.quantity, l.price, l.serials) for l in prep.lines])
    try:
        return _save(stock_doc, operator=operator, existing=linked, source=invoice).number
    except DocumentRefused as r:
        raise DocumentRefused(label, r.problems) from None


@write_transaction
def delete_document(number: str, *, operator: str) -> None:
    """Delete a document, reversing what it moved. An invoice takes its generated document along."""
    doc = Document.get_or_none(Document.number == (number or "").strip())
    if doc is None:
        raise NotFound(f"No document {number}.", document=number)
    if doc.source_id is not None:
        raise GeneratedDocument(
            f"{doc.number} was generated by {doc.source.number}; delete or change that invoice instead.",
            document=doc.number)
    _delete(doc, operator)


def _delete(doc: Document, operator: str) -> None:
    for generated in list(Document.select().where(Document.source == doc)):
        _delete(generated, operator)
    if KINDS[doc.kind].moves_stock:
        old_moves, old_qty, entries = _stored_effect(doc)
        items = {ln.item_id: ln.item for ln in doc.lines}
        ctx = _Context(doc, operator, utcnow(), items, doc.number, doing="deleted")
        _undo(ctx, old_moves, entries)
        _finish(doc, ctx, old_qty, {}, number=False)
    # The ledger keeps the document's movements (by number) for the serials' history.
    _sql("UPDATE ledger SET document_id = NULL WHERE document_id = ?", (doc.id,))
    _delete_lines(doc)
    doc.delete_instance()


def _delete_lines(document: Document) -> None:
    """A document's lines and the serials entered on them (on PostgreSQL no foreign key cascades
    to doc_line_serial: see store.migrations.PER_SERIAL_FOREIGN_KEYS)."""
    _sql("DELETE FROM doc_line_serial WHERE line_id IN (SELECT id FROM doc_line WHERE document_id = ?)",
         (document.id,))
    _sql("DELETE FROM doc_line WHERE document_id = ?", (document.id,))


@write_transaction
def create_stock_document_from_invoice(number: str, *, operator: str) -> DocumentView:
    """For an invoice saved without stock movement: create its goods receipt / goods issue now.
    From then on the invoice keeps it in step (its setting is switched on)."""
    invoice = Document.get_or_none(Document.number == (number or "").strip())
    if invoice is None:
        raise NotFound(f"No document {number}.", document=number)
    if not KINDS[invoice.kind].generates:
        raise InvalidInput(f"{invoice.number} is not an invoice.", document=invoice.number)
    linked = Document.get_or_none(Document.source == invoice)
    if linked is not None:
        raise InvalidInput(f"{invoice.number} already has {linked.number}.", document=invoice.number)
    doc_in = _view(invoice).to_input()
    doc_in.generate_movement = True
    _save(doc_in, operator=operator, existing=invoice)
    return _view(Document.get_by_id(Document.get(Document.source == invoice).id))


def list_documents(kinds=None, *, search: str | None = None, before_id: int | None = None,
                   limit: int = 100) -> list[Document]:
    """Documents newest first, a page at a time (``before_id``: the last id of the previous page)."""
    q = Document.select().order_by(Document.id.desc()).limit(limit)
    if kinds:
        q = q.where(Document.kind.in_(list(kinds)))
    if search:
        q = q.where(Document.number.contains(search.strip()) | Document.note.contains(search.strip()))
    if before_id is not None:
        q = q.where(Document.id < before_id)
    return list(q)


def check_serial(kind: str, item: str, code: str, *, warehouse: str | None = None, entered=(),
                 document: str | None = None, line: int | None = None) -> str:
    """One scan, checked by the same rules a save applies: returns the cleaned serial or raises a Refusal.

    Receiving kinds: not twice on the line/document, not in stock now. Issuing kinds (issue, sales
    invoice, transfer): in stock in ``warehouse``. Serials the edited ``document`` (or the stock
    document its invoice generated) already holds are accepted as they are."""
    k = KINDS.get(kind)
    if k is None:
        raise InvalidInput(f"Unknown document kind {kind!r}.", field="kind")
    it = catalog.get_item(item)
    where = f"Line {line} ({it.code})" if line is not None else it.code
    code = normalize_serial(code, line=line, item=it.code)
    if not it.tracked:
        raise InvalidInput(f"{it.code} does not track serial numbers.", item=it.code, field="serials")
    if code in set(entered):
        raise DuplicateSerial(f"{where}: serial {code} is entered already.", serial=code, line=line, item=it.code)
    wh = catalog.get_warehouse(warehouse)
    direction = +1 if k.receives else -1
    key = (it.id, code, wh.id, direction)
    own: dict = {}
    if document:
        doc = Document.get_or_none(Document.number == document)
        holder = doc
        if doc is not None and k.generates:
            holder = Document.get_or_none(Document.source == doc)
        if holder is not None and KINDS[holder.kind].moves_stock:
            own = _stored_effect(holder)[0]
    if key in own:
        return code
    problems = _availability_problems("issue" if direction < 0 else "receipt", {key: line or 1}, {}, {it.id: it})
    if problems:
        p = problems[0]
        if line is None:  # a scan outside a line: say it from the item's point of view
            p.message = p.message.replace(f"Line 1 ({it.code})", it.code, 1)
        raise p
    return code
