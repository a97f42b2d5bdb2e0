"""Fixtures for the pseudo-terminal tests: a database of their own, and the app running on it."""

from __future__ import annotations

import pytest

from .term import Term


@pytest.fixture
def db_file(tmp_path):
    """A seeded SQLite file: tracked PHONE-X (EAN 8594000000013) and TAB-9, untracked CABLE, warehouses
    MAIN (default) and B, partners ACME and NORD; PHONE-X serials P-001..P-020 received into MAIN;
    SCAN-9 (GTIN 04006381333931) with S9-001..S9-005 in MAIN, TAG-1 (GTIN 00000012345670)."""
    from store import catalog
    from store import db as dbm
    from store.documents import DocumentIn, LineIn, save_document

    path = tmp_path / "stock.db"
    database = dbm.connect(f"sqlite:///{path}")
    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90", ean="8594000000013")
    catalog.create_item("TAB-9", "Tablet 9", tracked=True, price="299.00")
    catalog.create_item("CABLE", "USB cable", price="4.50")
    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, price="99.00", ean="4006381333931")  # a valid GTIN-13
    catalog.create_item("TAG-1", "Tag", tracked=True, ean="12345670")  # a valid GTIN-8
    catalog.create_warehouse("B", "Second warehouse")
    catalog.create_partner("ACME", "Acme Ltd.")
    catalog.create_partner("NORD", "Nordic Trade")
    serials = [f"P-{i:03d}" for i in range(1, 21)]
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", len(serials), None, serials)]), operator="seed")
    nines = [f"S9-{i:03d}" for i in range(1, 6)]
    save_document(DocumentIn("receipt", [LineIn("SCAN-9", len(nines), None, nines)]), operator="seed")
    database.close()
    return path


@pytest.fixture
def run_app(tmp_path, request):
    """Start ``serialstock`` in a pseudo-terminal: ``run_app(db_path, cols=, rows=, args=[...])``.
    Every terminal is killed at the end; a failing test prints each one's last screen."""
    terms: list[Term] = []

    def start(db_path, *, cols: int = 80, rows: int = 24, args: list[str] | None = None,
              operator: str = "anna", env: dict | None = None, home=None, argv0=None) -> Term:
        home = home or (tmp_path / f"home-{operator}")
        home.mkdir(exist_ok=True)
        t = Term(["--db", f"sqlite:///{db_path}", "--operator", operator] + (args or []), cols=cols, rows=rows,
                 env=env, home=home, argv0=argv0)
        terms.append(t)
        return t

    yield start
    for t in terms:
        print(f"--- last screen of a terminal ({t.cols}x{t.rows}) ---\n{t.dump()}")
        t.close()
