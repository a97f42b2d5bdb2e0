"""Typed refusals: every rule of the store refuses through one of these.

Each refusal carries what it is about (serial, line, item, row, field, document) and a
sentence an operator understands. Front ends show ``str(refusal)`` and may use ``code`` and
``category`` (invalid / conflict / not_found) to decide how to present it.
"""

from __future__ import annotations


class Refusal(Exception):
    """A rule said no. Nothing was saved.

    A refusal built from facts carries its ``reason`` (the sentence, without where it is) apart from
    its location (``line`` and ``item``, or the spreadsheet's ``sheet``, ``row`` and ``column``); the
    location is added where it is shown: ``message`` (and ``str()``) is "Line 2 (PHONE-X): <reason>"
    for a document line, "PHONE-X: <reason>" for a scan outside a line, the reason alone otherwise;
    ``location`` overrides that text. Older refusals pass a whole ``message`` instead."""

    code = "refused"
    category = "invalid"  # invalid | conflict | not_found

    def __init__(
        self,
        message: str | None = None,
        *,
        reason: str | None = None,
        location: str | None = None,
        serial: str | None = None,
        line: int | None = None,
        item: str | None = None,
        document: str | None = None,
        field: str | None = None,
        row: int | None = None,
        sheet: str | None = None,
        column: str | None = None,
    ) -> None:
        self._message = message if reason is None else None
        self.reason = reason if reason is not None else (message or "")
        self._location = location
        self.serial = serial
        self.line = line
        self.item = item
        self.document = document
        self.field = field
        self.row = row
        self.sheet = sheet
        self.column = column
        super().__init__(self.message)

    @property
    def location(self) -> str:
        """Where the refusal is, as a front end shows it before the reason ("" when nowhere)."""
        if self._location is not None:
            return self._location
        if self._message is not None:
            return ""
        if self.line is not None:
            return f"Line {self.line} ({self.item})" if self.item else f"Line {self.line}"
        return self.item or ""

    @property
    def message(self) -> str:
        """The sentence shown to the operator: the location (when known) and the reason, or the whole
        message an older refusal was given.
        """
        if self._message is not None:
            return self._message
        where = self.location
        if where:
            return f"{where}: {self.reason}"
        return self.reason[:1].upper() + self.reason[1:]

    def about(self) -> dict:
        """What the refusal is about, without empty entries (for APIs and logs)."""
        keys = ("serial", "line", "item", "document", "field", "row", "sheet", "column")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    def __str__(self) -> str:
        return self.message


class InvalidInput(Refusal):
    """A value that breaks a rule of its field (empty, too long, not a number, unknown status...);
    ``field`` names it.
    """
    code = "invalid_input"


class NotFound(Refusal):
    """A code (item, warehouse, partner, document, user) that names nothing in the database."""
    code = "not_found"
    category = "not_found"


class InvalidSerial(Refusal):
    """A serial number that cannot be used (empty, too long, characters that do not show on screen), or a
    range of serials to generate that cannot be made (no digits to count up, too many, ends before it starts)."""
    code = "invalid_serial"


class DuplicateSerial(Refusal):
    """The same serial number twice where it may appear once: twice on a document, or on two lines."""
    code = "duplicate_serial"


class SerialInStock(Refusal):
    """Receiving a serial of that item that is in stock now."""

    code = "serial_in_stock"
    category = "conflict"


class SerialNotAvailable(Refusal):
    """Issuing a serial that is unknown, issued, or in another warehouse."""

    code = "serial_not_available"
    category = "conflict"


class SerialCountMismatch(Refusal):
    """A tracked line whose number of serials differs from its quantity; the document cannot be saved."""
    code = "serial_count_mismatch"


class QuantityNotWhole(Refusal):
    """A tracked item's quantity that is not a whole number (one serial is one unit)."""
    code = "quantity_not_whole"


class InsufficientStock(Refusal):
    """Issuing more of an untracked item than the warehouse holds."""
    code = "insufficient_stock"
    category = "conflict"


class MovedSince(Refusal):
    """Editing or deleting a document whose serials have moved on since."""

    code = "moved_since"
    category = "conflict"


class OutOfOrder(Refusal):
    """A movement dated before the serial's movement it would follow, or after one that follows it:
    a serial's movements follow the order of their documents' dates."""

    code = "out_of_order"
    category = "conflict"


class TrackingChanged(Refusal):
    """Editing or deleting a document saved while one of its items had the other tracking setting."""

    code = "tracking_changed"
    category = "conflict"


class TrackingLocked(Refusal):
    """Switching serial-number tracking of an item that has stock or documents."""
    code = "tracking_locked"
    category = "conflict"


class InUse(Refusal):
    """Deleting a record that documents, stock or serials still refer to."""
    code = "in_use"
    category = "conflict"


class AlreadyExists(Refusal):
    """Creating a record whose code is taken."""
    code = "already_exists"
    category = "conflict"


class StaleDocument(Refusal):
    """Saving a document that another operator saved since it was read (its version moved on)."""
    code = "stale_document"
    category = "conflict"


class GeneratedDocument(Refusal):
    """A stock document generated by an invoice is changed through its invoice."""

    code = "generated_document"
    category = "conflict"


class IdempotencyKeyReused(Refusal):
    """The same idempotency key was sent again with a different request."""

    code = "idempotency_key_reused"


class SavedMeanwhile(Refusal):
    """A concurrent save of the same record won the race, and retrying did not settle it."""

    code = "saved_meanwhile"
    category = "conflict"


class IntegrityRefused(Refusal):
    """The database refused a write for a reason that is not a race (a missing reference, a required
    value, a check): a fault to report as it is, not "someone else saved"."""

    code = "integrity_error"
    category = "conflict"


class DocumentRefused(Refusal):
    """Several problems found in one document; ``problems`` lists each of them."""

    code = "document_refused"

    def __init__(self, document: str | None, problems: list[Refusal], *, doing: str = "saved") -> None:
        self.problems = list(problems)
        head = f"{document} cannot be {doing}" if document else f"The document cannot be {doing}"
        lines = [p.message for p in self.problems]
        message = head + ":\n" + "\n".join(f"- {m}" for m in lines)
        super().__init__(message, document=document)
        # The category of the whole is the first problem's: a conflict stays a conflict.
        if self.problems:
            self.category = self.problems[0].category


class FileRefused(Refusal):
    """A spreadsheet that cannot be read at all: not an .xlsx workbook, password-protected, or over a limit."""

    code = "file_refused"


class ImportRefused(Refusal):
    """A spreadsheet with problems; nothing was imported. ``problems`` lists each of them, every one
    carrying the sheet, row and column it is about."""

    code = "import_refused"

    def __init__(self, file: str | None, problems: list[Refusal]) -> None:
        self.problems = list(problems)
        head = f"{file}: nothing was imported" if file else "Nothing was imported"
        count = len(self.problems)
        message = f"{head}; {count} problem{'s' if count != 1 else ''}:\n" + "\n".join(
            f"- {p.message}" for p in self.problems)
        super().__init__(message)
        if self.problems:
            self.category = self.problems[0].category


class DatabaseError(Exception):
    """The database cannot be opened or used as asked (bad URL, newer schema, ...)."""


class DatabaseFault(DatabaseError):
    """The database cannot do what was asked for a reason that retrying will not fix by itself: the disk
    is full, the file is read-only, not a database, or damaged. ``retryable`` is False; the message says
    what to do."""

    code = "database_fault"
    retryable = False

    def __init__(self, message: str, *, code: str = "database_fault") -> None:
        super().__init__(message)
        self.code = code


class CannotWrite(Refusal):
    """A file cannot be written where asked: its folder is missing, not a folder, or not writable."""

    code = "cannot_write"


class NotAUser(Refusal):
    """A login that is not a user, once the database has users; or --operator naming another user without
    being an admin (store.rights.who_acts)."""

    code = "not_a_user"
    category = "forbidden"


class Forbidden(Refusal):
    """The acting user's (or token's) role may not do this, or a token limited to one warehouse asked for
    another's stock. ``action`` is what was asked (store.rights.ACTIONS), ``needs`` the least role that
    may do it (None for a warehouse refusal), ``role`` the role that asked."""

    code = "forbidden"
    category = "forbidden"

    def __init__(self, reason: str, *, action: str, needs: str | None, role: str | None,
                 warehouse: str | None = None, **where) -> None:
        self.action, self.needs, self.role, self.warehouse = action, needs, role, warehouse
        super().__init__(reason=reason, **where)

    def about(self) -> dict:
        """As Refusal.about, plus ``action``, ``needs``, ``role`` and ``warehouse`` when set."""
        out = super().about()
        out.update({k: v for k, v in (("action", self.action), ("needs", self.needs), ("role", self.role),
                                      ("warehouse", self.warehouse)) if v is not None})
        return out
