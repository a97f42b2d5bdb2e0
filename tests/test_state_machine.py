"""A random walk through the stock: receipts, returns, issues, transfers, edits and deletions,
checked after every step against a small in-memory model of where each serial is.

The model keeps, per (item, serial), the stack of its standing movements (document, direction,
warehouse) and, per (item, warehouse), the quantity on hand. The status a user sees is the top of
that stack: in stock in a warehouse after a movement in, issued after a movement out, "removed"
when its only receipt was deleted. Saving or deleting a document is simulated the way the store
describes it (only the difference is applied; a movement can be undone only while it is the
serial's latest), so the model predicts whether the store must accept or refuse, and why.

Documents carry dates (a few days, so that some saves break the order of a serial's movements and
are refused), items' tracking is switched off and on, and invoices are saved, edited, switched between
generating their goods receipt / issue and not, and deleted: the model keeps an invoice's generated
stock document as a document of its own, changed only through its invoice.

After every step: list_serials / find_serial / stock_levels / list_documents agree with the model,
check() finds nothing, and a refused operation left every table as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import tempfile
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from store import catalog
from store import db as dbm
from store.check import check
from store.counts import cancel_count, count_quantity, get_count, open_count, post_count, scan_serial
from store.documents import DocumentIn, LineIn, delete_document, get_document, list_documents, save_document
from store.errors import (
    DocumentRefused,
    InsufficientStock,
    InvalidInput,
    MovedSince,
    OutOfOrder,
    Refusal,
    SerialCountMismatch,
    SerialInStock,
    SerialNotAvailable,
    TrackingChanged,
    TrackingLocked,
)
from store.lookups import find_serial, list_serials, stock_levels
from tests.conftest import PG_SKIP, PG_URL, _reset_postgres

TRACKED = ("PHONE-X", "TAB-9")
CABLE = "CABLE"  # not tracked: quantities only
WAREHOUSES = ("MAIN", "B")
WH_ORDER = {"MAIN": 0, "B": 1}  # creation order = id order, the order the store applies warehouses in
# The same codes for both tracked items: a serial belongs to an item, not to the whole stock.
CODES = tuple(f"SN-{i:02d}" for i in range(7))
KEYS = tuple((item, code) for item in TRACKED for code in CODES)
NEW = "<new document>"  # the number of a document not saved yet, in the model
NEW_GENERATED = "<new generated document>"  # the goods receipt / issue a new invoice generates
OPERATOR = "machine"
DAYS = tuple(dt.date(2026, 3, d) for d in (1, 2, 3))  # few: saves out of date order happen, and are refused
GENERATES = {"purchase_invoice": "receipt", "sales_invoice": "issue"}

SETTINGS = settings(
    max_examples=int(os.environ.get("SM_EXAMPLES", 25)),  # more for a longer hunt
    stateful_step_count=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([] if os.environ.get("SM_NO_SHRINK") else [Phase.shrink]),
    # no "explain": it traces, slowly
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# --- the model -----------------------------------------------------------------------------------

def effect(doc):
    """(ordered serial moves {(item, code, warehouse, direction): None}, quantities {(item, wh): n})
    of a document given as (kind, warehouse, to_warehouse, ((item, qty, serials), ...)); a stock
    adjustment's lines are (item, signed qty, serials, the warehouse it brings them from or None)."""
    kind, wh, to, lines = doc
    moves: dict = {}
    qty: dict = defaultdict(int)
    for item, q, serials, *source in lines:
        if kind == "adjustment":
            legs = [(source[0], -1), (wh, +1)] if source[0] else [(wh, 1 if q > 0 else -1)]
            q = abs(q)
        else:
            legs = {"receipt": [(wh, +1)], "issue": [(wh, -1)], "transfer": [(wh, -1), (to, +1)]}[kind]
        for w, d in legs:
            qty[(item, w)] += d * q
            for code in serials:
                moves[(item, code, w, d)] = None
    return moves, dict(qty)


class Model:
    def __init__(self):
        self.stacks: dict[tuple[str, str], list[tuple[str, int, str]]] = {}  # known serials only
        self.qty: dict[tuple[str, str], int] = defaultdict(int)
        self.docs: dict[str, tuple] = {}  # stock documents, generated ones included
        self.dates: dict[str, dt.date] = {}  # every document's date, invoices included
        self.invoices: dict[str, tuple] = {}  # number: (kind, warehouse, lines, generate movement)
        self.generated: dict[str, str] = {}  # invoice number: the number of its goods receipt / issue
        self.tracked = {item: True for item in TRACKED} | {CABLE: False}

    def copy(self) -> "Model":
        return copy.deepcopy(self)

    def state(self, key):
        """None (never received), ("removed", None), ("in_stock", wh) or ("issued", wh it left)."""
        stack = self.stacks.get(key)
        if stack is None:
            return None
        if not stack:
            return ("removed", None)
        number, d, wh = stack[-1]
        return ("in_stock" if d > 0 else "issued", wh)

    def latest_document(self, key):
        stack = self.stacks.get(key)
        return stack[-1][0] if stack else None

    def in_stock(self, wh=None):
        return [k for k in KEYS if (s := self.state(k)) and s[0] == "in_stock" and (wh is None or s[1] == wh)]

    def moved_since(self, number):
        """Serials of a saved document whose latest movement is another document's."""
        moves, _ = effect(self.docs[number])
        last = {}
        for item, code, wh, d in moves:  # a transfer's in-leg comes after its out-leg
            last[(item, code)] = (number, d, wh)
        return [k for k, top in last.items() if self.stacks[k][-1] != top]

    def is_generated(self, number):
        return number in self.generated.values()

    def movement_before(self, key, number, own_undone):
        """The standing movement a new movement of ``key`` will follow: the top of its stack, or when this
        document reverses one of its own movements of that serial, the latest that is not this document's."""
        stack = self.stacks.get(key) or []
        if own_undone:
            stack = [e for e in stack if e[0] != number]
        return stack[-1] if stack else None

    def simulate(self, number, old, new, date=None):
        """Save ``new`` over ``old`` (None: create / delete) dated ``date`` as the store does it. Returns
        (ok, reasons {(refusal class, serial or item)}, the model afterwards if ok)."""
        m = self.copy()
        old_moves, old_q = effect(old) if old else ({}, {})
        new_moves, new_q = effect(new) if new else ({}, {})
        undo = [k for k in old_moves if k not in new_moves]
        apply = [k for k in new_moves if k not in old_moves]
        reasons = set()

        # 0. A document saved while one of its items had the other tracking setting stays as it is.
        for item, q, serials, *_ in (old[3] if old else ()):
            if self.tracked[item] != bool(serials):
                reasons.add((TrackingChanged, item))

        # 1. Before writing anything: what is applied must be available once this document's own
        #    undone movements are reversed (a transfer's in-leg is checked through its out-leg).
        overlay = defaultdict(set)
        for item, code, wh, d in undo:
            overlay[(item, code)].add(("issued", None) if d > 0 else ("in_stock", wh))
        for item, code, wh, d in apply:
            if d > 0 and any(k[:2] == (item, code) and k[3] < 0 for k in apply):
                continue  # a transfer's in-leg (or an adjustment's from another warehouse) follows its out-leg
            for status, at in overlay.get((item, code)) or {self.state((item, code)) or (None, None)}:
                if d > 0 and status == "in_stock":
                    reasons.add((SerialInStock, code))
                if d < 0 and not (status == "in_stock" and at == wh):
                    reasons.add((SerialNotAvailable, code))
            # ... and not dated before the movement it follows
            before = self.movement_before((item, code), number, (item, code) in overlay)
            if before is not None and date < self.dates[before[0]]:
                reasons.add((OutOfOrder, code))
        # A new date for the movements the document keeps: still after the one before, before the one after.
        if old is not None and new is not None and date != self.dates.get(number):
            for item, code, wh, d in (k for k in new_moves if k in old_moves):
                stack = self.stacks[(item, code)]
                i = stack.index((number, d, wh))
                earlier = [e for e in stack[:i] if e[0] != number]
                later = [e for e in stack[i + 1:] if e[0] != number]
                if (earlier and date < self.dates[earlier[-1][0]]) or (later and date > self.dates[later[0][0]]):
                    reasons.add((OutOfOrder, code))

        # 2. Undo what is no longer there, in-legs first: only a serial's latest movement.
        for direction in (+1, -1):
            for item, code, wh, d in undo:
                if d != direction:
                    continue
                stack = m.stacks.get((item, code)) or []
                if stack and stack[-1] == (number, d, wh):
                    stack.pop()
                else:
                    reasons.add((MovedSince, code))

        # 3. Apply what is new: outs (by warehouse), then ins.
        for direction in (-1, +1):
            for item, code, wh, d in sorted((k for k in apply if k[3] == direction), key=lambda k: WH_ORDER[k[2]]):
                now = m.state((item, code))
                if d < 0 and now != ("in_stock", wh):
                    reasons.add((SerialNotAvailable, code))
                if d > 0 and now is not None and now[0] == "in_stock":
                    reasons.add((SerialInStock, code))
                m.stacks.setdefault((item, code), []).append((number, d, wh))

        # 4. Quantities by the difference; none may go below zero.
        for key in set(old_q) | set(new_q):
            m.qty[key] += new_q.get(key, 0) - old_q.get(key, 0)
            if m.qty[key] < 0:
                reasons.add((InsufficientStock, key[0]))
        if new is None:
            m.docs.pop(number, None)
            m.dates.pop(number, None)
        else:
            m.docs[number] = new
            m.dates[number] = date
        return not reasons, reasons, m

    def simulate_invoice(self, number, new, date=None):
        """Save invoice ``new`` (kind, warehouse, lines, generate movement) as ``number`` (None: a new one;
        ``new`` None: delete it), its generated goods receipt / issue with it. Returns as simulate, with
        the model's key of that stock document (NEW for one made now)."""
        reasons = set()
        gen = self.generated.get(number) if number else None
        old_doc = self.docs.get(gen) if gen else None
        if new is not None:
            kind, wh, lines, generate = new
            for item, q, serials in lines:  # the invoice's own lines, checked first
                if self.tracked[item] and not serials:
                    reasons.add((SerialCountMismatch, item))
                if not self.tracked[item] and serials:
                    reasons.add((InvalidInput, item))
            if kind == "sales_invoice" and not generate:
                # it still picks from what is in stock; what its own goods issue holds counts as there
                own = effect(old_doc)[0] if old_doc else {}
                released = {(i, c): w for i, c, w, _ in own}
                for item, q, serials in lines:
                    for code in serials:
                        if (item, code, wh, -1) in own:
                            continue
                        now = ("in_stock", released[(item, code)]) if (item, code) in released else \
                            self.state((item, code))
                        if now != ("in_stock", wh):
                            reasons.add((SerialNotAvailable, code))
            new_doc = (GENERATES[kind], wh, None, lines) if generate else None
        else:
            new_doc = None
        if old_doc is None and new_doc is None:
            ok, more, m = True, set(), self.copy()
        else:
            ok, more, m = self.simulate(gen or NEW_GENERATED, old_doc, new_doc, date)
        reasons |= more
        if new is None:
            m.invoices.pop(number, None)
            m.generated.pop(number, None)
            m.dates.pop(number, None)
        else:
            m.invoices[number or NEW] = new
            m.dates[number or NEW] = date
            if new_doc is not None:
                m.generated[number or NEW] = gen or NEW_GENERATED
            else:
                m.generated.pop(number or NEW, None)
        return not reasons, reasons, m, (gen or NEW_GENERATED) if new_doc is not None else None

    def rename(self, old, new):
        for stack in self.stacks.values():
            stack[:] = [(new if n == old else n, d, w) for n, d, w in stack]
        for table in (self.docs, self.dates, self.invoices, self.generated):
            if old in table:
                table[new] = table.pop(old)
        self.generated = {k: (new if v == old else v) for k, v in self.generated.items()}


# --- talking to the store ------------------------------------------------------------------------

def to_input(doc, date) -> DocumentIn:
    kind, wh, to, lines = doc
    return DocumentIn(kind, [LineIn(item, q, None, list(serials)) for item, q, serials in lines],
                      warehouse=wh, to_warehouse=to, date=date)


def invoice_input(inv, date) -> DocumentIn:
    kind, wh, lines, generate = inv
    return DocumentIn(kind, [LineIn(item, q, None, list(serials)) for item, q, serials in lines],
                      warehouse=wh, date=date, generate_movement=generate, partner="ACME")


def view_as_doc(view):
    if view.kind == "adjustment":
        return (view.kind, view.warehouse, None,
                tuple((l.item, int(l.quantity), tuple(l.serials), l.from_warehouse) for l in view.lines))
    return (view.kind, view.warehouse, view.to_warehouse,
            tuple((l.item, int(l.quantity), tuple(l.serials)) for l in view.lines))


def view_as_invoice(view):
    return (view.kind, view.warehouse, tuple((l.item, int(l.quantity), tuple(l.serials)) for l in view.lines),
            bool(view.generate_movement))


def problems_of(refusal: Refusal) -> list[Refusal]:
    return refusal.problems if isinstance(refusal, DocumentRefused) else [refusal]


def lines_from(keys, cable_qty=0):
    """Document lines for these (item, code) keys, one line per item, plus a cable line."""
    by_item: dict[str, list[str]] = {}
    for item, code in keys:
        by_item.setdefault(item, []).append(code)
    lines = [(item, len(codes), tuple(codes)) for item, codes in by_item.items()]
    if cable_qty:
        lines.append((CABLE, cable_qty, ()))
    return tuple(lines)


def other(wh):
    return "B" if wh == "MAIN" else "MAIN"


def snapshot():
    """Everything a user can see, to compare before and after a refused operation."""
    serials = [(r.item, r.code, r.status, r.warehouse, r.received_by, r.issued_by)
               for r in list_serials(status=None, limit=1000)]
    history = {code: [(i.item, [(m.document, m.direction, m.warehouse, m.state) for m in i.history])
                      for i in find_serial(code)] for code in CODES}
    stock = [(r.item, r.warehouse, r.quantity) for r in stock_levels(limit=1000)]
    docs = [(d.number, d.version, d.date, view_as_doc(get_document(d.number))) for d in list_documents(limit=1000)]
    tracking = [(i.code, i.tracked) for i in catalog.list_items(limit=100)]
    return serials, history, stock, docs, tracking


class StockMachine(RuleBasedStateMachine):
    def __init__(self, backend: str, tmp_root: str):
        super().__init__()
        self.model = Model()
        self.tmpdir = None
        if backend == "sqlite":
            self.tmpdir = tempfile.mkdtemp(dir=tmp_root)
            self.database = dbm.connect(f"sqlite:///{os.path.join(self.tmpdir, 'stock.db')}")
        else:
            _reset_postgres(PG_URL)
            self.database = dbm.connect(PG_URL)
        catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90")
        catalog.create_item("TAB-9", "Tablet 9", tracked=True, price="299.00")
        catalog.create_item(CABLE, "USB cable", price="4.50")
        catalog.create_warehouse("B", "Second warehouse")
        catalog.create_partner("ACME", "Acme Ltd.")  # invoices need a partner

    def teardown(self):
        self.database.close()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    # -- one operation, predicted by the model ---------------------------------------------------

    def _run(self, what, number, new, call, date=None):
        """Run a store call that saves ``new`` dated ``date`` as ``number`` (None: a new document;
        ``new`` None: delete) and compare with what the model predicts. Returns the refusal, if any."""
        old = self.model.docs.get(number) if number else None
        ok, reasons, after = self.model.simulate(number or NEW, old, new, date)
        return self._compare(what, number, new, call, ok, reasons, after)

    def _compare(self, what, number, new, call, ok, reasons, after):
        before = None if ok else snapshot()
        refusal = None
        try:
            view = call()
        except Refusal as r:  # anything else (a raw database error) fails the test as it is
            refusal = r
        if ok:
            assert refusal is None, f"{what}: the store refused what should be accepted:\n{refusal}"
            if number is None:
                assert view.number not in self.model.docs, f"{what}: number {view.number} given twice"
                after.rename(NEW, view.number)
            if new is not None:
                assert view_as_doc(view) == new, f"{what}: saved {view_as_doc(view)}"
                assert view_as_doc(get_document(view.number)) == new
            else:
                assert number not in {d.number for d in list_documents(limit=1000)}
            self.model = after
            return None
        assert refusal is not None, f"{what}: the store accepted what should be refused ({sorted(map(str, reasons))})"
        assert snapshot() == before, f"{what}: refused, but something changed:\n{refusal}"
        expected = {cls for cls, _ in reasons}
        got = [type(p) for p in problems_of(refusal)]
        assert expected & set(got), f"{what}: refused for {got}, expected one of {expected}:\n{refusal}"
        event(f"refused: {sorted(c.__name__ for c in expected & set(got))}")
        return refusal

    def _save_new(self, what, doc, date):
        return self._run(what, None, doc, lambda: save_document(to_input(doc, date), operator=OPERATOR), date)

    def _run_invoice(self, what, number, new, date=None):
        """Save (or with ``new`` None delete) an invoice and compare with the model."""
        ok, reasons, after, gen_key = self.model.simulate_invoice(number, new, date)
        before = None if ok else snapshot()
        refusal = None
        try:
            if new is None:
                view = delete_document(number, operator=OPERATOR)
            else:
                view = save_document(invoice_input(new, date), operator=OPERATOR, number=number)
        except Refusal as r:
            refusal = r
        if ok:
            assert refusal is None, f"{what}: the store refused what should be accepted:\n{refusal}"
            if new is not None:
                assert view_as_invoice(view) == new, f"{what}: saved {view_as_invoice(view)}"
                if number is None:
                    after.rename(NEW, view.number)
                if gen_key == NEW_GENERATED:
                    assert view.generated not in after.docs
                    after.rename(NEW_GENERATED, view.generated)
                assert view.generated == after.generated.get(view.number)
            else:
                assert number not in {d.number for d in list_documents(limit=1000)}
            self.model = after
            return None
        assert refusal is not None, f"{what}: the store accepted what should be refused ({sorted(map(str, reasons))})"
        assert snapshot() == before, f"{what}: refused, but something changed:\n{refusal}"
        expected = {cls for cls, _ in reasons}
        got = [type(p) for p in problems_of(refusal)]
        assert expected & set(got), f"{what}: refused for {got}, expected one of {expected}:\n{refusal}"
        event(f"invoice refused: {sorted(c.__name__ for c in expected & set(got))}")
        if number is not None:
            assert refusal.document == number, f"{what}: the refusal names {refusal.document}, not the invoice"
        return refusal

    def _own_docs(self):
        """Stock documents changed directly (not those an invoice generated), stock adjustments included."""
        return sorted(n for n in self.model.docs if not self.model.is_generated(n))

    def _editable_docs(self):
        """Those an operator edits: not stock adjustments (made by posting a count, deleted only)."""
        return [n for n in self._own_docs() if self.model.docs[n][0] != "adjustment"]

    # -- rules -------------------------------------------------------------------------------------

    @initialize(data=st.data())
    def opening_stock(self, data):
        """Every walk starts with some stock in both warehouses, so that there is something to move."""
        for wh in WAREHOUSES:
            fresh = [k for k in KEYS if k not in self.model.stacks]
            keys = data.draw(st.lists(st.sampled_from(fresh), min_size=1, max_size=4, unique=True), label="serials")
            cable = data.draw(st.integers(0, 5), label="cables")
            self._save_new("opening stock", ("receipt", wh, None, lines_from(keys, cable)), DAYS[0])

    def _day(self, data):
        return data.draw(st.sampled_from(DAYS), label="date")

    def _usable(self, keys):
        """Serials of the items tracked now (a line of an item not tracked carries none)."""
        return [k for k in keys if self.model.tracked[k[0]]]

    def _cables(self, data, low, high):
        return data.draw(st.integers(low, high), label="cables") if not self.model.tracked[CABLE] and high >= low else 0

    @rule(data=st.data())
    def receive_new_serials(self, data):
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        fresh = self._usable([k for k in KEYS if k not in self.model.stacks])
        keys = data.draw(st.lists(st.sampled_from(fresh), max_size=3, unique=True), label="serials") if fresh else []
        cable = self._cables(data, 0 if keys else 1, 5)
        if keys or cable:
            self._save_new("receive new", ("receipt", wh, None, lines_from(keys, cable)), self._day(data))

    def _returnable(self):
        return self._usable([k for k in KEYS if (s := self.model.state(k)) and s[0] != "in_stock"])

    @precondition(lambda self: bool(self._returnable()))
    @rule(data=st.data())
    def receive_returned_serials(self, data):
        """A customer brings back an issued serial (or one whose receipt was deleted is received again)."""
        keys = data.draw(st.lists(st.sampled_from(self._returnable()), min_size=1, max_size=2, unique=True),
                         label="serials")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        self._save_new("receive returned", ("receipt", wh, None, lines_from(keys)), self._day(data))

    def _cables_in(self, wh):
        return 0 if self.model.tracked[CABLE] else self.model.qty[(CABLE, wh)]

    def _pick_from_stock(self, data, wh):
        have = self._cables_in(wh)
        keys = data.draw(st.lists(st.sampled_from(self.model.in_stock(wh)), min_size=0 if have else 1, max_size=3,
                                  unique=True), label="serials") if self.model.in_stock(wh) else []
        cable = data.draw(st.integers(0 if keys else 1, have), label="cables") if have else 0
        return keys, cable

    def _has_stock(self, wh):
        return bool(self.model.in_stock(wh)) or self._cables_in(wh) > 0

    @precondition(lambda self: any(self._has_stock(w) for w in WAREHOUSES))
    @rule(data=st.data())
    def issue(self, data):
        wh = data.draw(st.sampled_from([w for w in WAREHOUSES if self._has_stock(w)]), label="warehouse")
        keys, cable = self._pick_from_stock(data, wh)
        self._save_new("issue", ("issue", wh, None, lines_from(keys, cable)), self._day(data))

    @precondition(lambda self: any(self._has_stock(w) for w in WAREHOUSES))
    @rule(data=st.data())
    def transfer(self, data):
        wh = data.draw(st.sampled_from([w for w in WAREHOUSES if self._has_stock(w)]), label="from")
        keys, cable = self._pick_from_stock(data, wh)
        self._save_new("transfer", ("transfer", wh, other(wh), lines_from(keys, cable)), self._day(data))

    @precondition(lambda self: bool(self._editable_docs()))
    @rule(data=st.data())
    def edit(self, data):
        number = data.draw(st.sampled_from(self._editable_docs()), label="document")
        kind, wh, to, lines = self.model.docs[number]
        keys = [(item, c) for item, _, serials in lines for c in serials]
        cable = sum(q for item, q, _ in lines if item == CABLE)
        date = self.model.dates[number]
        how = data.draw(st.sampled_from(["unchanged", "drop serial", "add serial", "other warehouse", "cables",
                                         "date"]), label="edit")
        if how == "drop serial" and keys:
            keys.remove(data.draw(st.sampled_from(keys), label="drop"))
        elif how == "add serial":
            if kind == "receipt":
                pool = [k for k in KEYS if not ((s := self.model.state(k)) and s[0] == "in_stock")]
            else:
                pool = self.model.in_stock(wh)
            pool = self._usable([k for k in pool if k not in keys])
            if pool:
                keys.append(data.draw(st.sampled_from(pool), label="add"))
        elif how == "other warehouse":
            wh, to = other(wh), (wh if kind == "transfer" else None)
        elif how == "cables" and not self.model.tracked[CABLE]:
            cable = data.draw(st.integers(0, 6), label="cables")
        elif how == "date":
            date = self._day(data)
        if not keys and not cable:
            if self.model.tracked[CABLE]:
                return
            cable = 1
        new = (kind, wh, to, lines_from(keys, cable))
        version = get_document(number).version
        refusal = self._run(f"edit {number} ({how})", number, new,
                            lambda: save_document(to_input(new, date), operator=OPERATOR, number=number), date)
        if refusal is None:
            assert get_document(number).version == version + 1

    @precondition(lambda self: bool(self._own_docs()))
    @rule(data=st.data())
    def delete(self, data):
        number = data.draw(st.sampled_from(self._own_docs()), label="document")
        self._run(f"delete {number}", number, None, lambda: delete_document(number, operator=OPERATOR))

    # -- tracking switched, invoices ----------------------------------------------------------------

    @rule(item=st.sampled_from(TRACKED + (CABLE,)))
    def switch_tracking(self, item):
        """On only while the item has no stock; off only while none of its serials is in stock. Documents
        saved before keep the setting they were saved under (see simulate, step 0)."""
        on = not self.model.tracked[item]
        allowed = (not any(self.model.qty[(item, w)] for w in WAREHOUSES)) if on else \
            not any(k[0] == item for k in self.model.in_stock())
        try:
            catalog.set_tracking(item, on)
        except TrackingLocked:
            assert not allowed, f"switching {item} {'on' if on else 'off'} was refused"
            return
        assert allowed, f"switching {item} {'on' if on else 'off'} was accepted"
        self.model.tracked[item] = on

    @rule(item=st.sampled_from(TRACKED + (CABLE,)), data=st.data())
    def sell_out_then_switch(self, item, data):
        """Issue all the stock of an item, then switch its tracking: the documents saved before now hold
        the other setting (so that refusing to change them is reached often)."""
        for wh in WAREHOUSES:
            keys = [k for k in self.model.in_stock(wh) if k[0] == item]
            q = self.model.qty[(item, wh)] if item == CABLE and not self.model.tracked[CABLE] else 0
            if keys or q:
                self._save_new(f"sell out {item}", ("issue", wh, None, lines_from(keys, q)), DAYS[-1])
        self.switch_tracking(item)

    @rule(data=st.data())
    def new_invoice(self, data):
        kind = data.draw(st.sampled_from(sorted(GENERATES)), label="kind")
        generate = data.draw(st.booleans(), label="generate")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        if kind == "purchase_invoice":
            fresh = self._usable([k for k in KEYS if not ((s := self.model.state(k)) and s[0] == "in_stock")])
            keys = data.draw(st.lists(st.sampled_from(fresh), max_size=2, unique=True), label="serials") if fresh else []
            cable = self._cables(data, 0 if keys else 1, 3)
        else:
            keys, cable = self._pick_from_stock(data, wh) if self._has_stock(wh) else ([], 0)
        if not keys and not cable:
            return
        self._run_invoice(f"new {kind}", None, (kind, wh, lines_from(keys, cable), generate), self._day(data))

    @precondition(lambda self: bool(self.model.invoices))
    @rule(data=st.data())
    def edit_invoice(self, data):
        """Switch its stock movement off or on, change its serials, its warehouse or its date."""
        number = data.draw(st.sampled_from(sorted(self.model.invoices)), label="invoice")
        kind, wh, lines, generate = self.model.invoices[number]
        keys = [(item, c) for item, _, serials in lines for c in serials]
        cable = sum(q for item, q, _ in lines if item == CABLE)
        date = self.model.dates[number]
        how = data.draw(st.sampled_from(["switch", "drop serial", "add serial", "other warehouse", "date"]),
                        label="edit")
        if how == "switch":
            generate = not generate
        elif how == "drop serial" and len(keys) + bool(cable) > 1:
            keys.remove(data.draw(st.sampled_from(keys), label="drop")) if keys else None
        elif how == "add serial":
            pool = (self.model.in_stock(wh) if kind == "sales_invoice" else
                    [k for k in KEYS if not ((s := self.model.state(k)) and s[0] == "in_stock")])
            pool = self._usable([k for k in pool if k not in keys])
            if pool:
                keys.append(data.draw(st.sampled_from(pool), label="add"))
        elif how == "other warehouse":
            wh = other(wh)
        elif how == "date":
            date = self._day(data)
        new = (kind, wh, lines_from(keys, cable), generate)
        self._run_invoice(f"edit {number} ({how})", number, new, date)

    @precondition(lambda self: bool(self.model.invoices))
    @rule(data=st.data())
    def delete_invoice(self, data):
        number = data.draw(st.sampled_from(sorted(self.model.invoices)), label="invoice")
        self._run_invoice(f"delete {number}", number, None)

    # -- operations that must be refused -----------------------------------------------------------

    @precondition(lambda self: len(self.model.docs) > 1 and self._usable(KEYS))
    @rule(data=st.data())
    def refuse_issuing_what_is_not_there(self, data):
        """Issue or transfer a serial that is unknown, issued, removed or in the other warehouse,
        next to serials that could go: the whole document is refused, naming that serial."""
        kind = data.draw(st.sampled_from(["issue", "transfer"]), label="kind")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        candidates = [k for k in self._usable(KEYS) if self.model.state(k) != ("in_stock", wh)]
        if not candidates:  # every usable serial is in stock in wh: nothing to refuse there
            return
        bad = data.draw(st.sampled_from(candidates), label="bad")
        good = self.model.in_stock(wh)
        keys = data.draw(st.lists(st.sampled_from(good), max_size=2, unique=True), label="good") if good else []
        doc = (kind, wh, other(wh) if kind == "transfer" else None, lines_from(keys + [bad]))
        assert not self.model.simulate(NEW, None, doc, DAYS[-1])[0]
        refusal = self._save_new(f"{kind} {bad} not in {wh}", doc, DAYS[-1])
        named = [p for p in problems_of(refusal) if isinstance(p, SerialNotAvailable) and p.serial == bad[1] and p.item == bad[0]]
        assert named, f"the refusal does not name {bad[1]}:\n{refusal}"
        assert bad[1] in str(refusal)
        state = self.model.state(bad)
        if state and state[0] == "issued":
            assert named[0].document == self.model.latest_document(bad)
            latest = self.model.latest_document(bad)
            verb = "taken out of stock" if latest.startswith("SA-") else "issued"  # a count's adjustment
            assert f"was {verb} by {latest}" in str(refusal)
        elif state and state[0] == "in_stock":
            assert f"is in warehouse {state[1]}, not {wh}" in str(refusal)

    @precondition(lambda self: bool(self.model.in_stock()))
    @rule(data=st.data())
    def refuse_receiving_what_is_in_stock(self, data):
        bad = data.draw(st.sampled_from(self.model.in_stock()), label="bad")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        fresh = self._usable([k for k in KEYS if k not in self.model.stacks])
        keys = data.draw(st.lists(st.sampled_from(fresh), max_size=2, unique=True), label="good") if fresh else []
        doc = ("receipt", wh, None, lines_from(keys + [bad]))
        assert not self.model.simulate(NEW, None, doc, DAYS[-1])[0]
        refusal = self._save_new(f"receive {bad}, in stock", doc, DAYS[-1])
        named = [p for p in problems_of(refusal) if isinstance(p, SerialInStock) and p.serial == bad[1] and p.item == bad[0]]
        assert named, f"the refusal does not name {bad[1]}:\n{refusal}"
        assert named[0].document == self.model.latest_document(bad)
        assert f"already in stock in {self.model.state(bad)[1]}" in str(refusal)

    def _moved(self):
        return [n for n in self._own_docs() if self.model.moved_since(n)
                and all(self.model.tracked[ln[0]] == bool(ln[2]) for ln in self.model.docs[n][3])]

    @precondition(lambda self: bool(self._moved()))
    @rule(data=st.data())
    def refuse_changing_what_moved_since(self, data):
        """Delete a document, or take off it a serial, that a later document has moved on."""
        number = data.draw(st.sampled_from(self._moved()), label="document")
        key = data.draw(st.sampled_from(self.model.moved_since(number)), label="serial")
        kind, wh, to, lines = self.model.docs[number]
        keys = [(ln[0], c) for ln in lines for c in ln[2] if (ln[0], c) != key]
        cable = sum(ln[1] for ln in lines if ln[0] == CABLE)
        if data.draw(st.booleans(), label="delete") or not (keys or cable) or kind == "adjustment":
            refusal = self._run(f"delete {number}", number, None, lambda: delete_document(number, operator=OPERATOR))
        else:
            new = (kind, wh, to, lines_from(keys, cable))
            date = self.model.dates[number]
            refusal = self._run(f"edit {number} without {key}", number, new,
                                lambda: save_document(to_input(new, date), operator=OPERATOR, number=number), date)
        later = self.model.latest_document(key)
        named = [p for p in problems_of(refusal) if isinstance(p, MovedSince) and p.serial == key[1] and p.item == key[0]]
        assert named, f"the refusal does not name {key[1]}:\n{refusal}"
        assert named[0].document == later and f"by {later}" in named[0].message, refusal

    # -- stock counts --------------------------------------------------------------------------------

    @rule(data=st.data())
    def count_warehouse(self, data):
        """Open a count of a warehouse (of every item or some), scan serials of tracked items (in stock
        there or not, known or not) and type quantities of untracked ones; then post it, cancel it, or
        see its posting refused because a scanned serial was issued meanwhile."""
        m = self.model
        wh = data.draw(st.sampled_from(WAREHOUSES), label="count warehouse")
        scope = data.draw(st.none() | st.lists(st.sampled_from(TRACKED + (CABLE,)), min_size=1, max_size=2, unique=True),
                          label="items")
        covered = [i for i in TRACKED + (CABLE,) if scope is None or i in scope]
        number = open_count(wh, scope, operator=OPERATOR).number
        pool = [k for k in KEYS if m.tracked[k[0]] and k[0] in covered]
        scans = data.draw(st.lists(st.sampled_from(pool), max_size=5, unique=True), label="scans") if pool else []
        for item, code in scans:
            r = scan_serial(number, code, item=item, operator=OPERATOR)
            assert r.expected == (m.state((item, code)) == ("in_stock", wh)), (item, code, r)
        typed = {}
        for item in covered:
            if not m.tracked[item]:
                typed[item] = data.draw(st.integers(0, 5), label=f"{item} counted")
                if typed[item]:
                    count_quantity(number, item, typed[item], operator=OPERATOR)
        missing = [k for k in m.in_stock(wh) if k[0] in covered and k not in scans]
        f = {x.item: x for x in get_count(number).figures}
        for item in covered:
            if m.tracked[item]:
                want = (sum(1 for k in missing if k[0] == item),
                        sum(1 for k in scans if k[0] == item and m.state(k) != ("in_stock", wh)))
                assert (f[item].missing, f[item].extra) == want if item in f else want == (0, 0), (item, f.get(item))
        how = data.draw(st.sampled_from(["post", "cancel", "moved"]), label="then")
        if how == "cancel":
            before = snapshot()
            assert cancel_count(number, operator=OPERATOR).status == "cancelled"
            assert snapshot() == before
            return
        if how == "moved":
            here = [k for k in scans if m.state(k) == ("in_stock", wh)]
            if not here:
                cancel_count(number, operator=OPERATOR)
                return
            key = data.draw(st.sampled_from(here), label="issued meanwhile")
            if self._save_new("issue during the count", ("issue", wh, None, lines_from([key])), DAYS[-1]) is not None:
                cancel_count(number, operator=OPERATOR)
                return
            before = snapshot()
            with pytest.raises(DocumentRefused) as e:
                post_count(number, operator=OPERATOR)
            assert [(type(p), p.serial, p.item) for p in e.value.problems] == [(MovedSince, key[1], key[0])]
            assert snapshot() == before and get_count(number).status == "open"
            event("count refused: moved since scanned")
            cancel_count(number, operator=OPERATOR)
            return
        groups = defaultdict(list)  # (item, order, from warehouse): serials, as posting groups its lines
        for item, code in missing:
            groups[(item, 0, None)].append(code)
        for key in scans:
            state = m.state(key)
            if state == ("in_stock", wh):
                continue
            src = state[1] if state and state[0] == "in_stock" else None
            groups[(key[0], 2 if src else 1, src)].append(key[1])
        lines = []
        for item, order, src in sorted(groups, key=lambda g: (g[0], g[1], WH_ORDER.get(g[2], -1))):
            codes = tuple(sorted(groups[(item, order, src)]))
            lines.append((item, -len(codes) if order == 0 else len(codes), codes, src))
        for item, n in typed.items():
            if n != m.qty[(item, wh)]:
                lines.append((item, n - m.qty[(item, wh)], (), None))
        lines.sort(key=lambda ln: (ln[0], 3 if not ln[2] else 0 if ln[1] < 0 else 1 if ln[3] is None else 2,
                                   WH_ORDER.get(ln[3], -1)))
        new = ("adjustment", wh, None, tuple(lines))
        event("count posted: " + ("in from another warehouse" if any(ln[3] for ln in lines) else
                                  "serials in and out" if any(ln[2] for ln in lines) else
                                  "quantities" if lines else "nothing differs"))
        self._run(f"post {number}", None, new, lambda: post_count(number, operator=OPERATOR), dt.date.today())
        assert get_count(number).status == "posted"

    # -- after every step ----------------------------------------------------------------------------

    @invariant()
    def store_agrees_with_model(self):
        m = self.model
        expected = {}
        for key, stack in m.stacks.items():
            status, wh = m.state(key)
            expected[key] = (status, wh if status != "removed" else None, stack[-1][0] if stack else None)
        got = {}
        for r in list_serials(status=None, limit=1000):
            got[(r.item, r.code)] = (r.status, r.warehouse, r.received_by if r.status == "in_stock" else r.issued_by)
        assert got == expected

        for wh in WAREHOUSES:
            shown = {(r.item, r.code) for r in list_serials(warehouse=wh, limit=1000)}
            assert shown == set(m.in_stock(wh)), f"serials in stock in {wh}"

        for code in CODES:
            found = {}
            for info in find_serial(code):
                standing = [(h.document, h.direction, h.warehouse) for h in info.history if h.state == 0]
                found[info.item] = (info.status, info.warehouse if info.status != "removed" else None, standing)
                for h in info.history:
                    if h.state == 0:  # the business date, and the invoice behind a generated document
                        assert h.date == m.dates[h.document], f"{code}: {h.document} dated {h.date}"
                        assert h.invoice == next((i for i, g in m.generated.items() if g == h.document), None)
            want = {item: (m.state((item, code))[0],
                           m.state((item, code))[1] if m.state((item, code))[0] != "removed" else None,
                           list(m.stacks[(item, code)]))
                    for item in TRACKED if (item, code) in m.stacks}
            assert found == want, f"find_serial({code})"

        levels = {}
        for r in stock_levels(limit=1000):
            assert r.quantity == int(r.quantity)
            levels[(r.item, r.warehouse)] = int(r.quantity)
        assert levels == {k: q for k, q in m.qty.items() if q}
        for item in TRACKED:
            if not m.tracked[item]:
                continue  # switched off, it may be counted by quantity (count_warehouse)
            for wh in WAREHOUSES:
                assert m.qty[(item, wh)] == sum(1 for k in m.in_stock(wh) if k[0] == item)

        assert {d.number for d in list_documents(limit=1000)} == set(m.docs) | set(m.invoices)
        for number, gen in m.generated.items():
            assert get_document(number).generated == gen
        assert {i.code: i.tracked for i in catalog.list_items(limit=100)} == m.tracked
        assert check() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_random_walk_matches_model(backend, tmp_path):
    if backend == "postgresql" and not PG_URL:
        pytest.skip(PG_SKIP)
    run_state_machine_as_test(lambda: StockMachine(backend, str(tmp_path)), settings=SETTINGS)
