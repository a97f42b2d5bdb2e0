"""A random walk through the stock: receipts, returns, issues, transfers, edits and deletions,
checked after every step against a small in-memory model of where each serial is.

The model keeps, per (item, serial), the stack of its standing movements (document, direction,
warehouse) and, per (item, warehouse), the quantity on hand. The status a user sees is the top of
that stack: in stock in a warehouse after a movement in, issued after a movement out, "removed"
when its only receipt was deleted. Saving or deleting a document is simulated the way the store
describes it (only the difference is applied; a movement can be undone only while it is the
serial's latest), so the model predicts whether the store must accept or refuse, and why.

After every step: list_serials / find_serial / stock_levels / list_documents agree with the model,
check() finds nothing, and a refused operation left every table as it was.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, Phase, settings
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
from store.documents import DocumentIn, LineIn, delete_document, get_document, list_documents, save_document
from store.errors import (
    DocumentRefused,
    InsufficientStock,
    MovedSince,
    Refusal,
    SerialInStock,
    SerialNotAvailable,
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
OPERATOR = "machine"

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no "explain": it traces, slowly
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# --- the model -----------------------------------------------------------------------------------

def effect(doc):
    """(ordered serial moves {(item, code, warehouse, direction): None}, quantities {(item, wh): n})
    of a document given as (kind, warehouse, to_warehouse, ((item, qty, serials), ...))."""
    kind, wh, to, lines = doc
    legs = {"receipt": [(wh, +1)], "issue": [(wh, -1)], "transfer": [(wh, -1), (to, +1)]}[kind]
    moves: dict = {}
    qty: dict = defaultdict(int)
    for item, q, serials in lines:
        for w, d in legs:
            qty[(item, w)] += d * q
            for code in serials:
                moves[(item, code, w, d)] = None
    return moves, dict(qty)


class Model:
    def __init__(self):
        self.stacks: dict[tuple[str, str], list[tuple[str, int, str]]] = {}  # known serials only
        self.qty: dict[tuple[str, str], int] = defaultdict(int)
        self.docs: dict[str, tuple] = {}

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

    def simulate(self, number, old, new):
        """Save ``new`` over ``old`` (None: create / delete) as the store does it. Returns
        (ok, reasons {(refusal class, serial or item)}, the model afterwards if ok)."""
        m = self.copy()
        old_moves, old_q = effect(old) if old else ({}, {})
        new_moves, new_q = effect(new) if new else ({}, {})
        undo = [k for k in old_moves if k not in new_moves]
        apply = [k for k in new_moves if k not in old_moves]
        reasons = set()

        # 1. Before writing anything: what is applied must be available once this document's own
        #    undone movements are reversed (a transfer's in-leg is checked through its out-leg).
        overlay = defaultdict(set)
        for item, code, wh, d in undo:
            overlay[(item, code)].add(("issued", None) if d > 0 else ("in_stock", wh))
        for item, code, wh, d in apply:
            if new[0] == "transfer" and d > 0:
                continue
            for status, at in overlay.get((item, code)) or {self.state((item, code)) or (None, None)}:
                if d > 0 and status == "in_stock":
                    reasons.add((SerialInStock, code))
                if d < 0 and not (status == "in_stock" and at == wh):
                    reasons.add((SerialNotAvailable, code))

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
        else:
            m.docs[number] = new
        return not reasons, reasons, m

    def rename(self, old, new):
        for stack in self.stacks.values():
            stack[:] = [(new if n == old else n, d, w) for n, d, w in stack]
        self.docs[new] = self.docs.pop(old)


# --- talking to the store ------------------------------------------------------------------------

def to_input(doc) -> DocumentIn:
    kind, wh, to, lines = doc
    return DocumentIn(kind, [LineIn(item, q, None, list(serials)) for item, q, serials in lines],
                      warehouse=wh, to_warehouse=to)


def view_as_doc(view):
    return (view.kind, view.warehouse, view.to_warehouse,
            tuple((l.item, int(l.quantity), tuple(l.serials)) for l in view.lines))


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
    docs = [(d.number, d.version, view_as_doc(get_document(d.number))) for d in list_documents(limit=1000)]
    return serials, history, stock, docs


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

    def teardown(self):
        self.database.close()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    # -- one operation, predicted by the model ---------------------------------------------------

    def _run(self, what, number, new, call):
        """Run a store call that saves ``new`` as ``number`` (None: a new document; ``new`` None:
        delete) and compare with what the model predicts. Returns the refusal, if any."""
        old = self.model.docs.get(number) if number else None
        ok, reasons, after = self.model.simulate(number or NEW, old, new)
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
        return refusal

    def _save_new(self, what, doc):
        return self._run(what, None, doc, lambda: save_document(to_input(doc), operator=OPERATOR))

    # -- rules -------------------------------------------------------------------------------------

    @initialize(data=st.data())
    def opening_stock(self, data):
        """Every walk starts with some stock in both warehouses, so that there is something to move."""
        for wh in WAREHOUSES:
            fresh = [k for k in KEYS if k not in self.model.stacks]
            keys = data.draw(st.lists(st.sampled_from(fresh), min_size=1, max_size=4, unique=True), label="serials")
            cable = data.draw(st.integers(0, 5), label="cables")
            self._save_new("opening stock", ("receipt", wh, None, lines_from(keys, cable)))

    @rule(data=st.data())
    def receive_new_serials(self, data):
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        fresh = [k for k in KEYS if k not in self.model.stacks]
        keys = data.draw(st.lists(st.sampled_from(fresh), max_size=3, unique=True), label="serials") if fresh else []
        cable = data.draw(st.integers(0 if keys else 1, 5), label="cables")
        self._save_new("receive new", ("receipt", wh, None, lines_from(keys, cable)))

    @precondition(lambda self: any((s := self.model.state(k)) and s[0] != "in_stock" for k in KEYS))
    @rule(data=st.data())
    def receive_returned_serials(self, data):
        """A customer brings back an issued serial (or one whose receipt was deleted is received again)."""
        back = [k for k in KEYS if (s := self.model.state(k)) and s[0] != "in_stock"]
        keys = data.draw(st.lists(st.sampled_from(back), min_size=1, max_size=2, unique=True), label="serials")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        self._save_new("receive returned", ("receipt", wh, None, lines_from(keys)))

    def _pick_from_stock(self, data, wh):
        have = self.model.qty[(CABLE, wh)]
        keys = data.draw(st.lists(st.sampled_from(self.model.in_stock(wh)), min_size=0 if have else 1, max_size=3,
                                  unique=True), label="serials") if self.model.in_stock(wh) else []
        cable = data.draw(st.integers(0 if keys else 1, have), label="cables") if have else 0
        return keys, cable

    def _has_stock(self, wh):
        return bool(self.model.in_stock(wh)) or self.model.qty[(CABLE, wh)] > 0

    @precondition(lambda self: any(self._has_stock(w) for w in WAREHOUSES))
    @rule(data=st.data())
    def issue(self, data):
        wh = data.draw(st.sampled_from([w for w in WAREHOUSES if self._has_stock(w)]), label="warehouse")
        keys, cable = self._pick_from_stock(data, wh)
        self._save_new("issue", ("issue", wh, None, lines_from(keys, cable)))

    @precondition(lambda self: any(self._has_stock(w) for w in WAREHOUSES))
    @rule(data=st.data())
    def transfer(self, data):
        wh = data.draw(st.sampled_from([w for w in WAREHOUSES if self._has_stock(w)]), label="from")
        keys, cable = self._pick_from_stock(data, wh)
        self._save_new("transfer", ("transfer", wh, other(wh), lines_from(keys, cable)))

    @precondition(lambda self: bool(self.model.docs))
    @rule(data=st.data())
    def edit(self, data):
        number = data.draw(st.sampled_from(sorted(self.model.docs)), label="document")
        kind, wh, to, lines = self.model.docs[number]
        keys = [(item, c) for item, _, serials in lines for c in serials]
        cable = sum(q for item, q, _ in lines if item == CABLE)
        how = data.draw(st.sampled_from(["unchanged", "drop serial", "add serial", "other warehouse", "cables"]),
                        label="edit")
        if how == "drop serial" and keys:
            keys.remove(data.draw(st.sampled_from(keys), label="drop"))
        elif how == "add serial":
            if kind == "receipt":
                pool = [k for k in KEYS if not ((s := self.model.state(k)) and s[0] == "in_stock")]
            else:
                pool = self.model.in_stock(wh)
            pool = [k for k in pool if k not in keys]
            if pool:
                keys.append(data.draw(st.sampled_from(pool), label="add"))
        elif how == "other warehouse":
            wh, to = other(wh), (wh if kind == "transfer" else None)
        elif how == "cables":
            cable = data.draw(st.integers(0, 6), label="cables")
        if not keys and not cable:
            cable = 1
        new = (kind, wh, to, lines_from(keys, cable))
        version = get_document(number).version
        refusal = self._run(f"edit {number} ({how})", number, new,
                            lambda: save_document(to_input(new), operator=OPERATOR, number=number))
        if refusal is None:
            assert get_document(number).version == version + 1

    @precondition(lambda self: bool(self.model.docs))
    @rule(data=st.data())
    def delete(self, data):
        number = data.draw(st.sampled_from(sorted(self.model.docs)), label="document")
        self._run(f"delete {number}", number, None, lambda: delete_document(number, operator=OPERATOR))

    # -- operations that must be refused -----------------------------------------------------------

    @precondition(lambda self: len(self.model.docs) > 1)
    @rule(data=st.data())
    def refuse_issuing_what_is_not_there(self, data):
        """Issue or transfer a serial that is unknown, issued, removed or in the other warehouse,
        next to serials that could go: the whole document is refused, naming that serial."""
        kind = data.draw(st.sampled_from(["issue", "transfer"]), label="kind")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        bad = data.draw(st.sampled_from([k for k in KEYS if self.model.state(k) != ("in_stock", wh)]), label="bad")
        good = self.model.in_stock(wh)
        keys = data.draw(st.lists(st.sampled_from(good), max_size=2, unique=True), label="good") if good else []
        doc = (kind, wh, other(wh) if kind == "transfer" else None, lines_from(keys + [bad]))
        assert not self.model.simulate(NEW, None, doc)[0]
        refusal = self._save_new(f"{kind} {bad} not in {wh}", doc)
        named = [p for p in problems_of(refusal) if isinstance(p, SerialNotAvailable) and p.serial == bad[1] and p.item == bad[0]]
        assert named, f"the refusal does not name {bad[1]}:\n{refusal}"
        assert bad[1] in str(refusal)
        state = self.model.state(bad)
        if state and state[0] == "issued":
            assert named[0].document == self.model.latest_document(bad)
            assert f"was issued by {self.model.latest_document(bad)}" in str(refusal)
        elif state and state[0] == "in_stock":
            assert f"is in warehouse {state[1]}, not {wh}" in str(refusal)

    @precondition(lambda self: bool(self.model.in_stock()))
    @rule(data=st.data())
    def refuse_receiving_what_is_in_stock(self, data):
        bad = data.draw(st.sampled_from(self.model.in_stock()), label="bad")
        wh = data.draw(st.sampled_from(WAREHOUSES), label="warehouse")
        fresh = [k for k in KEYS if k not in self.model.stacks]
        keys = data.draw(st.lists(st.sampled_from(fresh), max_size=2, unique=True), label="good") if fresh else []
        doc = ("receipt", wh, None, lines_from(keys + [bad]))
        assert not self.model.simulate(NEW, None, doc)[0]
        refusal = self._save_new(f"receive {bad}, in stock", doc)
        named = [p for p in problems_of(refusal) if isinstance(p, SerialInStock) and p.serial == bad[1] and p.item == bad[0]]
        assert named, f"the refusal does not name {bad[1]}:\n{refusal}"
        assert named[0].document == self.model.latest_document(bad)
        assert f"already in stock in {self.model.state(bad)[1]}" in str(refusal)

    @precondition(lambda self: any(self.model.moved_since(n) for n in self.model.docs))
    @rule(data=st.data())
    def refuse_changing_what_moved_since(self, data):
        """Delete a document, or take off it a serial, that a later document has moved on."""
        number = data.draw(st.sampled_from(sorted(n for n in self.model.docs if self.model.moved_since(n))),
                           label="document")
        key = data.draw(st.sampled_from(self.model.moved_since(number)), label="serial")
        kind, wh, to, lines = self.model.docs[number]
        keys = [(item, c) for item, _, serials in lines for c in serials if (item, c) != key]
        cable = sum(q for item, q, _ in lines if item == CABLE)
        if data.draw(st.booleans(), label="delete") or not (keys or cable):
            refusal = self._run(f"delete {number}", number, None, lambda: delete_document(number, operator=OPERATOR))
        else:
            new = (kind, wh, to, lines_from(keys, cable))
            refusal = self._run(f"edit {number} without {key}", number, new,
                                lambda: save_document(to_input(new), operator=OPERATOR, number=number))
        later = self.model.latest_document(key)
        named = [p for p in problems_of(refusal) if isinstance(p, MovedSince) and p.serial == key[1] and p.item == key[0]]
        assert named, f"the refusal does not name {key[1]}:\n{refusal}"
        assert named[0].document == later and f"by {later}" in named[0].message, refusal

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
            for wh in WAREHOUSES:
                assert m.qty[(item, wh)] == sum(1 for k in m.in_stock(wh) if k[0] == item)

        assert {d.number for d in list_documents(limit=1000)} == set(m.docs)
        assert check() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_random_walk_matches_model(backend, tmp_path):
    if backend == "postgresql" and not PG_URL:
        pytest.skip(PG_SKIP)
    run_state_machine_as_test(lambda: StockMachine(backend, str(tmp_path)), settings=SETTINGS)
