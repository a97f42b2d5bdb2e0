"""What to retry is decided from the driver's error codes (PostgreSQL SQLSTATE 40001 / 40P01, SQLite
BUSY / LOCKED), not from message text, which PostgreSQL translates; an integrity error that is not a
race is reported as what it is."""

import sqlite3

import peewee
import psycopg.errors
import pytest

from store.db import run_sql, write_transaction
from store.errors import IntegrityRefused, SavedMeanwhile


def wrapped(peewee_class, driver_exc):
    """An exception as peewee raises it for the driver's own."""
    return peewee_class(driver_exc, *driver_exc.args)


def sqlite_error(cls, text, code):
    e = cls(text)
    e.sqlite_errorcode = code
    return e


@pytest.mark.parametrize("driver_exc", [
    psycopg.errors.SerializationFailure("konnte Zugriff wegen nebenläufiger Aktualisierung nicht serialisieren"),
    psycopg.errors.DeadlockDetected("Verklemmung (Deadlock) entdeckt"),
    sqlite_error(sqlite3.OperationalError, "Datenbank ist gesperrt", 5),
    sqlite_error(sqlite3.OperationalError, "table locked", 262),  # SQLITE_LOCKED_SHAREDCACHE
], ids=["pg-40001-german", "pg-40P01-german", "sqlite-busy", "sqlite-locked-extended"])
def test_retried_by_code_whatever_the_text(database, driver_exc):
    calls = []

    @write_transaction
    def work():
        calls.append(1)
        if len(calls) == 1:
            raise wrapped(peewee.OperationalError, driver_exc)
        return "done"

    assert work() == "done" and len(calls) == 2


def test_english_text_without_a_code_is_not_retried(database):
    calls = []

    @write_transaction
    def work():
        calls.append(1)
        raise wrapped(peewee.OperationalError, sqlite_error(sqlite3.OperationalError, "database is locked", 1))

    with pytest.raises(peewee.OperationalError):
        work()
    assert len(calls) == 1


def test_a_duplicate_key_is_a_race_retried_then_said_so(database):
    calls = []

    @write_transaction
    def work():
        calls.append(1)
        raise wrapped(peewee.IntegrityError, psycopg.errors.UniqueViolation("doppelter Schlüsselwert"))

    with pytest.raises(SavedMeanwhile, match="Someone else saved"):
        work()
    assert len(calls) == 6


def test_an_integrity_error_that_is_not_a_race_is_reported_as_what_it_is(database):
    calls = []

    @write_transaction
    def work():
        calls.append(1)
        # a line of a document and an item that do not exist
        run_sql("INSERT INTO doc_line (document_id, position, item_id, quantity, price) VALUES (999, 1, 999, 1, 0)")
        run_sql("INSERT INTO doc_line_serial (line_id, code) VALUES (NULL, 'X')")

    with pytest.raises(IntegrityRefused) as e:
        work()
    assert len(calls) == 1 and "Someone else" not in str(e.value)
    assert ("a reference to a record that does not exist" in str(e.value)
            or "a required value missing" in str(e.value))


def test_a_code_is_found_under_a_translation_made_twice(database):
    """peewee translating its own exception again (nested translations) keeps the driver's underneath."""
    calls = []

    @write_transaction
    def work():
        calls.append(1)
        if len(calls) == 1:
            inner = wrapped(peewee.IntegrityError, sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed", 2067))
            raise peewee.IntegrityError(inner, *inner.args)
        return "done"

    assert work() == "done" and len(calls) == 2
