"""Roles through the store: every role against every service (allowed, or refused with a Forbidden naming
the action and the role it needs), users and their audit list, and a token limited to one warehouse."""

from __future__ import annotations

import pytest

from store import catalog, drafts, rights, tokens, users
from store.documents import (
    DocumentIn,
    LineIn,
    check_serial,
    create_stock_document_from_invoice,
    delete_document,
    get_document,
    save_document,
)
from store.errors import Forbidden, InvalidInput
from store.rights import ROLES, Acting, acting, rank
from tests.helpers import receive


def _doc(kind, serials=("N1",), item="PHONE-X", **kw):
    return DocumentIn(kind, [LineIn(item, len(serials), None, list(serials))], **kw)


def _import(tmp_path):
    from openpyxl import Workbook

    from store.excel import import_file

    path = tmp_path / "items.xlsx"
    wb = Workbook()
    wb.active.title = "Items"
    wb.active.append(["Code", "Name"])
    wb.active.append(["IMP-1", "Imported"])
    wb.save(path)
    return import_file(path, "u")


# service: (the action it needs, the call, made as the role under test)
SERVICES = {
    "list_serials": ("read", lambda s: __import__("store.lookups", fromlist=["x"]).list_serials(status=None)),
    "stock_levels": ("read", lambda s: __import__("store.lookups", fromlist=["x"]).stock_levels()),
    "lookup": ("read", lambda s: __import__("store.lookups", fromlist=["x"]).lookup("S1")),
    "document_rows": ("read", lambda s: __import__("store.agendas", fromlist=["x"]).document_rows(["receipt"])),
    "get_document": ("read", lambda s: get_document(s["receipt"])),
    "item_detail": ("read", lambda s: __import__("store.agendas", fromlist=["x"]).item_detail("PHONE-X")),
    "check_serial": ("read", lambda s: check_serial("issue", "PHONE-X", "S1", warehouse="MAIN")),
    "export": ("read", lambda s: __import__("store.excel", fromlist=["x"]).export_agenda("serials", s["tmp"] / "s.xlsx")),
    "receive": ("receive", lambda s: save_document(_doc("receipt"), operator="u")),
    "issue": ("issue", lambda s: save_document(_doc("issue", ["S2"]), operator="u")),
    "transfer": ("transfer", lambda s: save_document(_doc("transfer", ["S2"], to_warehouse="B"), operator="u")),
    "save_draft": ("draft", lambda s: drafts.save_draft("u", _doc("receipt"))),
    "delete_draft": ("draft", lambda s: drafts.delete_draft(s["draft"])),
    "purchase_invoice": ("invoice", lambda s: save_document(_doc("purchase_invoice", partner="ACME"), operator="u")),
    "stock_document_from_invoice": ("invoice", lambda s: create_stock_document_from_invoice(s["invoice"], operator="u")),
    "edit_document": ("edit_document", lambda s: save_document(_doc("receipt", ["S1", "S2", "S4"]), operator="u",
                                                               number=s["receipt"])),
    "delete_document": ("delete_document", lambda s: delete_document(s["receipt"], operator="u")),
    "create_item": ("items", lambda s: catalog.create_item("NEW", "New item")),
    "update_item": ("items", lambda s: catalog.update_item("CABLE", name="Cable 2 m")),
    "delete_item": ("items", lambda s: catalog.delete_item("CABLE")),
    "set_tracking": ("tracking", lambda s: catalog.set_tracking("CABLE", True)),
    "create_partner": ("partners", lambda s: catalog.create_partner("NEWP", "New partner")),
    "update_partner": ("partners", lambda s: catalog.update_partner("ACME", name="Acme 2")),
    "delete_partner": ("partners", lambda s: catalog.delete_partner("IDLE")),
    "create_warehouse": ("warehouses", lambda s: catalog.create_warehouse("C", "Third")),
    "update_warehouse": ("warehouses", lambda s: catalog.update_warehouse("B", name="Second 2")),
    "delete_warehouse": ("warehouses", lambda s: catalog.delete_warehouse("EMPTY")),
    "import": ("import", lambda s: _import(s["tmp"])),
    "add_user": ("users", lambda s: users.add_user("newbie", "floor")),
    "set_role": ("users", lambda s: users.set_role("carol", "office")),
    "remove_user": ("users", lambda s: users.remove_user("carol")),
    "user_log": ("users", lambda s: users.audit_log()),
    "list_users": ("users", lambda s: users.list_users()),
    "create_token": ("tokens", lambda s: tokens.create_token("portal", "floor")),
    "list_tokens": ("tokens", lambda s: tokens.list_tokens()),
    "revoke_token": ("tokens", lambda s: tokens.revoke_token("eshop")),
    "settings": ("settings", lambda s: catalog.set_generate_movement_default("sales_invoice", False)),
}


@pytest.fixture
def setup(stock, tmp_path):
    """The conftest's price list, serials S1-S3 in MAIN (received by one receipt), an invoice saved without
    stock movement, a draft, a partner and a warehouse nothing uses, users and a token: made by nobody in
    particular (unrestricted)."""
    r = receive("PHONE-X", ["S1", "S2"])
    receive("PHONE-X", ["S3"])
    inv = save_document(_doc("purchase_invoice", ["P1"], partner="ACME", generate_movement=False), operator="t")
    catalog.create_partner("IDLE", "Nobody uses it")
    catalog.create_warehouse("EMPTY", "Nothing here")
    users.add_user("root", "admin")
    users.add_user("carol", "floor")
    tokens.create_token("eshop", "office")
    draft = drafts.save_draft("u", _doc("receipt"))
    return {"receipt": r.number, "invoice": inv.number, "draft": draft, "tmp": tmp_path}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_role_against_every_service(setup, role, service):
    action, call = SERVICES[service]
    with acting(Acting("u", role)):
        if rank(role) >= rank(rights.needs(action)):
            call(setup)  # allowed: done, no refusal of any kind
            return
        with pytest.raises(Forbidden) as refused:
            call(setup)
    r = refused.value
    assert (r.code, r.category, r.action, r.needs, r.role) == ("forbidden", "forbidden", action, rights.needs(action), role)
    assert rights.ACTIONS[action][1] in str(r) and rights.needs(action) in str(r)
    assert r.location == "" and str(r) == r.reason[:1].upper() + r.reason[1:]


def test_every_action_is_covered_by_the_matrix():
    covered = {a for a, _ in SERVICES.values()}
    assert set(rights.ACTIONS) - covered <= {"count"}  # stock counts: the counts branch's services


def test_the_refusal_names_the_action_and_the_roles_that_may(stock):
    with acting(Acting("bob", "floor")), pytest.raises(Forbidden) as refused:
        catalog.create_item("X", "X")
    assert str(refused.value) == ("The user bob (floor) may not create, change or delete price-list items: that "
                                  "needs the role office or admin.")
    assert refused.value.about()["needs"] == "office"


def test_nobody_acting_is_not_restricted(stock):
    catalog.create_item("X", "X")  # scripts and tests that import the store: the store trusts its caller


# --- users, single-user mode, the audit list ---------------------------------------------------------

def test_no_users_is_single_user_mode_and_anyone_may_do_everything(stock):
    who = users.who_is_acting("anna")
    assert who == Acting("anna", "admin", single_user=True)


def test_the_first_user_must_be_an_admin(stock):
    with pytest.raises(InvalidInput, match="first user must be an admin"):
        users.add_user("anna", "floor")
    users.add_user("anna", "admin")


def test_a_login_that_is_not_a_user_is_refused_in_one_sentence(stock):
    users.add_user("root", "admin")
    with pytest.raises(users.NotAUser) as refused:
        users.who_is_acting("mallory")
    assert "\n" not in str(refused.value) and "mallory is not a serialstock user" in str(refused.value)


def test_operator_acts_as_another_user_only_for_an_admin(stock):
    users.add_user("root", "admin")
    users.add_user("bob", "floor")
    users.add_user("carol", "office")
    with pytest.raises(users.NotAUser, match="only an admin"):
        users.who_is_acting("bob", "carol")
    assert users.who_is_acting("root", "carol") == Acting("carol", "office")
    assert users.who_is_acting("bob", "bob") == Acting("bob", "floor")
    with pytest.raises(users.NotAUser, match="not a user"):
        users.who_is_acting("root", "nobody")


def test_the_last_admin_stays(stock):
    users.add_user("root", "admin")
    users.add_user("bob", "floor")
    with pytest.raises(InvalidInput, match="last admin"):
        users.set_role("root", "office")
    with pytest.raises(InvalidInput, match="last admin"):
        users.remove_user("root")


def test_changes_to_users_and_tokens_are_in_the_audit_list(stock):
    users.add_user("root", "admin")
    with acting(Acting("root", "admin")):
        users.add_user("bob", "floor")
        users.set_role("bob", "office")
        tokens.create_token("eshop", "floor", "B")
        tokens.revoke_token("eshop")
        users.remove_user("bob")
        log = users.audit_log()
    assert [(e.actor, e.action, e.subject, e.detail) for e in log] == [
        ("", "user_add", "root", "role admin"),
        ("root", "user_add", "bob", "role floor"),
        ("root", "user_set", "bob", "role floor -> office"),
        ("root", "token_create", "eshop", "role floor, warehouse B"),
        ("root", "token_revoke", "eshop", ""),
        ("root", "user_remove", "bob", "was office"),
    ]
    assert all(e.at is not None for e in log)


# --- a token limited to one warehouse ------------------------------------------------------------------

@pytest.fixture
def two_warehouses(stock):
    from tests.helpers import transfer

    receive("PHONE-X", ["M1", "M2"])
    a = receive("PHONE-X", ["B1", "B2"], warehouse="B")
    receive("PHONE-X", ["X1"])
    transfer("PHONE-X", ["X1"], to="B")  # X1 was in MAIN, now in B
    _, secret = tokens.create_token("shop-b", "floor", "B")
    return {"b_receipt": a.number, "who": tokens.token_identity(secret)}


def test_a_limited_token_reads_only_its_warehouse(two_warehouses):
    from store.agendas import document_rows, item_detail
    from store.lookups import find_serial, list_serials, lookup, stock_levels

    who = two_warehouses["who"]
    assert who == Acting("shop-b", "floor", warehouse="B", token=True)
    with acting(who):
        assert {s.code for s in list_serials(status=None)} == {"B1", "B2", "X1"}
        with pytest.raises(Forbidden, match="only the stock of warehouse B, not of MAIN"):
            list_serials(warehouse="MAIN")
        assert {(r.item, r.warehouse) for r in stock_levels()} == {("PHONE-X", "B")}
        with pytest.raises(Forbidden):
            stock_levels(warehouse="MAIN")
        assert find_serial("M1") == [] and lookup("M1").serials == []
        [x1] = find_serial("X1")
        assert {m.warehouse for m in x1.history} == {"B"}  # its moves in MAIN are not shown
        assert {r.warehouse for r in document_rows(["receipt", "transfer"])} <= {"B", "MAIN"}
        assert all("B" in (r.warehouse, r.to_warehouse) for r in document_rows(["receipt", "transfer"]))
        assert {s.warehouse for s in item_detail("PHONE-X").stock} == {"B"}
        assert item_detail("PHONE-X").serials_in_stock == 3
        get_document(two_warehouses["b_receipt"])
        main = document_rows(["receipt"])  # only B's
        assert all(r.warehouse == "B" for r in main)
    main_receipt = [r for r in __import__("store.agendas", fromlist=["x"]).document_rows(["receipt"])
                    if r.warehouse == "MAIN"][0]
    with acting(who), pytest.raises(Forbidden):
        get_document(main_receipt.number)


def test_a_limited_token_moves_only_its_warehouse(two_warehouses):
    who = two_warehouses["who"]
    with acting(who):
        saved = save_document(_doc("receipt", ["B9"]), operator="shop-b")  # no warehouse given: its own
        assert saved.warehouse == "B"
        save_document(_doc("issue", ["B1"], warehouse="B"), operator="shop-b")
        for doc in (_doc("receipt", ["M9"], warehouse="MAIN"), _doc("issue", ["M1"], warehouse="MAIN"),
                    _doc("transfer", ["B2"], warehouse="B", to_warehouse="MAIN")):
            with pytest.raises(Forbidden, match="warehouse B"):
                save_document(doc, operator="shop-b")
        with pytest.raises(Forbidden):
            check_serial("issue", "PHONE-X", "M1", warehouse="MAIN")
    from store.lookups import list_serials

    assert {s.code for s in list_serials(warehouse="MAIN")} == {"M1", "M2"}  # nothing of MAIN moved


def test_a_warehouse_a_token_is_limited_to_cannot_be_deleted(stock):
    from store.errors import InUse

    catalog.create_warehouse("C", "Third")
    tokens.create_token("shop-c", "viewer", "C")
    with pytest.raises(InUse, match="API token"):
        catalog.delete_warehouse("C")


def test_a_database_before_roles_is_upgraded_and_its_tokens_become_admin(db_url):
    """Step 10 on SQLite and PostgreSQL: users and the audit list are made, api_token gains its role (admin
    for every token made before) and its warehouse."""
    from store import db as dbm
    from store.migrations import SCHEMA_VERSION, schema_version

    database = dbm.connect(db_url)
    _, secret = tokens.create_token("old")
    database.execute_sql("DROP TABLE audit_log")
    database.execute_sql("DROP TABLE app_user")
    if dbm.is_sqlite():  # SQLite drops no column a foreign key is on: the table as schema 9 had it
        database.execute_sql("ALTER TABLE api_token RENAME TO api_token_10")
        database.execute_sql("CREATE TABLE api_token (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, "
                             "secret_hash VARCHAR(64) NOT NULL UNIQUE, created_at DATETIME NOT NULL, "
                             "revoked_at DATETIME)")
        database.execute_sql("INSERT INTO api_token SELECT id, name, secret_hash, created_at, revoked_at "
                             "FROM api_token_10")
        database.execute_sql("DROP TABLE api_token_10")
    else:
        for column in ("role", "warehouse_id"):
            database.execute_sql(f"ALTER TABLE api_token DROP COLUMN {column}")
    database.execute_sql("UPDATE setting SET value = '8' WHERE key = 'schema_version'")
    database.close()
    database = dbm.connect(db_url)
    assert schema_version() == SCHEMA_VERSION
    assert tokens.token_identity(secret) == Acting("old", "admin", token=True)
    assert users.who_is_acting("anyone").single_user and users.audit_log() == []
    tokens.create_token("limited", "viewer", "MAIN")
    assert [(t.name, t.role, t.warehouse) for t in tokens.list_tokens()] == [("limited", "viewer", "MAIN"),
                                                                            ("old", "admin", None)]
    database.close()
