"""`serialstock check` finds what is wrong; `serialstock demo` fills only an empty database."""

import subprocess
import sys

from serialstock.cli import main
from store import db as dbm
from store.check import check
from tests.helpers import issue, receive


def test_check_passes_on_consistent_data_and_names_each_problem(stock):
    receive("PHONE-X", ["A1", "A2"])
    issue("PHONE-X", ["A2"])
    assert check() == []
    d = dbm.db
    d.execute_sql("UPDATE stock SET quantity = quantity + 1000 WHERE item_id = (SELECT id FROM item WHERE code = 'PHONE-X')")
    d.execute_sql("UPDATE serial_number SET status = 'in_stock' WHERE code = 'A2'")
    d.execute_sql("INSERT INTO stock (item_id, warehouse_id, quantity) SELECT id, 1, -2000 FROM item WHERE code = 'CABLE'")
    problems = "\n".join(check())
    assert "PHONE-X in MAIN: stock 2 but 2 serials in stock" not in problems
    assert "PHONE-X: serial A2 is in_stock (MAIN) but its ledger shows last movement out of MAIN" in problems
    assert "CABLE in MAIN: negative stock -2" in problems
    assert "CABLE in MAIN: stock -2 but the documents add up to 0" in problems


def test_check_finds_rows_pointing_nowhere(stock):
    """On PostgreSQL no foreign key guards the per-serial rows (schema 6): check() does."""
    gr = receive("PHONE-X", ["A1", "A2"])
    d = dbm.db
    if dbm.is_sqlite():
        d.execute_sql("PRAGMA foreign_keys = OFF")  # SQLite keeps the keys: step around them to spoil the data
    d.execute_sql("DELETE FROM doc_line WHERE document_id = (SELECT id FROM document WHERE number = ?)"
                  .replace("?", d.obj.param), (gr.number,))
    d.execute_sql("UPDATE serial_number SET warehouse_id = 999 WHERE code = 'A1'")
    if dbm.is_sqlite():
        d.execute_sql("PRAGMA foreign_keys = ON")
    problems = check()
    assert "2 rows of doc_line_serial point at a line that does not exist (line_id)" in problems
    assert "1 rows of serial_number point at a warehouse that does not exist (warehouse_id)" in problems


def test_check_counts_stock_against_serials(stock):
    receive("PHONE-X", ["A1", "A2"])
    dbm.db.execute_sql("UPDATE stock SET quantity = 5000")
    assert "PHONE-X in MAIN: stock 5 but 2 serials in stock" in check()


def test_cli_check_exit_codes(sqlite_url, capsys):
    assert main(["--db", sqlite_url, "check"]) == 2  # not there: check makes no database (the walk)
    assert "no database at" in capsys.readouterr().err
    dbm.connect(sqlite_url)  # a new, empty database
    assert main(["--db", sqlite_url, "check"]) == 0
    assert "OK" in capsys.readouterr().out
    dbm.db.execute_sql("INSERT INTO item (code, name, unit, price, tracked, created_at) VALUES ('X', 'X', 'pcs', 0, 1, '2026-01-01')")
    dbm.db.execute_sql("INSERT INTO stock (item_id, warehouse_id, quantity) SELECT id, 1, 1000 FROM item WHERE code = 'X'")
    assert main(["--db", sqlite_url, "check"]) == 1
    assert "X in MAIN: stock 1 but 0 serials in stock" in capsys.readouterr().out


def test_demo_fills_an_empty_database_once(db_url, capsys):
    assert main(["--db", db_url, "demo"]) == 0
    from store.lookups import list_serials
    from store.models import Document, Item
    assert Item.select().count() >= 8 and Document.select().count() >= 15
    kinds = {d.kind for d in Document.select()}
    assert kinds == {"receipt", "issue", "transfer", "purchase_invoice", "sales_invoice"}
    assert len(list_serials(limit=1000)) == 1000
    assert list_serials(status="issued")
    assert check() == []
    assert main(["--db", db_url, "demo"]) == 1
    assert "already has data" in capsys.readouterr().err


def test_cli_refuses_a_bad_url(capsys):
    assert main(["--db", "sqlite://nope.db", "check"]) == 2
    assert "three slashes" in capsys.readouterr().err


def test_console_command_is_installed():
    out = subprocess.run([sys.executable, "-m", "serialstock.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "check" in out.stdout and "demo" in out.stdout
