"""Serial entry helpers every front end uses: clean one serial, split a pasted list,
generate a run from a first serial, expand a range.

Generating counts up the *last* group of digits and keeps its zero padding
(SN-0098 x5: SN-0098 .. SN-0102; A7-009-X x3: A7-009-X, A7-010-X, A7-011-X). A serial with no
digits at all cannot be counted up: that is refused with a message saying to scan or type each one.
Only the digits 0-9 count: other digits (full-width ０-９, Arabic-Indic ٠-٩, ...) are kept as they
are, as any other character, so the first serial generated is always the one typed.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidSerial
from .gs1 import GS_SHOWN

MAX_SERIAL_LENGTH = 100
MAX_GENERATED = 100_000

_SPLIT = re.compile(r"[\r\n,;\t]+")
_LAST_DIGITS = re.compile(r"^(.*?)([0-9]+)([^0-9]*)$", re.DOTALL)  # 0-9 only: \d matches every script's digits


# The one text rule for every code, name and serial: no character that is invisible or changes how text
# around it is shown (control characters incl. NEL U+0085, format characters such as the zero-width space
# U+200B and the right-to-left override U+202E, line and paragraph separators, lone surrogates, private use).
_REFUSED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
_CATEGORY_NAMES = {"Cc": "a control character", "Cf": "an invisible format character", "Cs": "a lone surrogate",
                   "Co": "a private-use character", "Zl": "a line separator", "Zp": "a paragraph separator"}


def nfc(text: str) -> str:
    """Text in Unicode NFC, so that two encodings of the same letters (é as one character or as e and a
    combining accent) are one code or serial."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def refused_character(text: str) -> str | None:
    """None when ``text`` is allowed in a code, name or serial; else a phrase naming the first character
    that is not, e.g. "an invisible format character (U+200B)"."""
    if text.isascii() and text.isprintable():
        return None
    for ch in text:
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES:
            return f"{_CATEGORY_NAMES[category]} (U+{ord(ch):04X})"
    return None


def clean_code_text(raw) -> str:
    """Trimmed and NFC-normalised text (for lookups: a code or serial typed, scanned or sent)."""
    return nfc(str(raw).strip()) if raw is not None else ""


def normalize_serial(raw: str, *, line: int | None = None, item: str | None = None) -> str:
    """The serial as stored: trimmed, in NFC. Refuses empty ones, invisible or control characters (the
    text rule: refused_character), the symbol a scan field shows for a GS1 group separator (a whole GS1
    code taken for a serial), absurd lengths (InvalidSerial, located on ``line`` of ``item`` when given)."""
    where = dict(line=line, item=item, location=None if line is not None and item else "")
    if raw is None:
        raise InvalidSerial(reason="an empty serial number; scan or type it again.", **where)
    code = str(raw).strip()
    if not code:
        raise InvalidSerial(reason="an empty serial number; scan or type it again.", **where)
    bad = refused_character(code)
    if bad:
        shown = code.encode("unicode_escape", "backslashreplace").decode("ascii")[:120]
        raise InvalidSerial(reason=f"serial {shown} contains {bad}, which cannot be seen on screen; scan or type it again.",
                            serial=shown, **where)
    if GS_SHOWN in code:  # a GS1 code read where only a serial is taken (store.gs1 reads them where they belong)
        raise InvalidSerial(reason=f"{code[:40]} is a GS1 code, not a serial number: scan it into a field that reads "
                            "GS1 codes, or type the serial alone.", serial=code[:MAX_SERIAL_LENGTH], **where)
    code = nfc(code)
    if len(code) > MAX_SERIAL_LENGTH:
        raise InvalidSerial(
            reason=f"serial {code[:20]}... is {len(code)} characters long; at most {MAX_SERIAL_LENGTH} are allowed.",
            serial=code[:MAX_SERIAL_LENGTH], **where)
    return code


def split_serials(text: str) -> list[str]:
    """A pasted list: one serial per line, or separated by commas, semicolons or tabs.
    Blanks are dropped; order and repeats are kept (repeats are refused later, by name)."""
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


def _pattern(serial: str) -> tuple[str, str, str]:
    m = _LAST_DIGITS.match(serial)
    if not m:
        raise InvalidSerial(
            f"Serial {serial} has no digits 0-9 to count up from (only 0-9 count); scan or type each serial instead.",
            serial=serial,
        )
    return m.group(1), m.group(2), m.group(3)


def generate_serials(first: str, count: int) -> list[str]:
    """``count`` serials starting at ``first``, counting up its last group of digits."""
    first = normalize_serial(first)
    if not isinstance(count, int) or count < 1:
        raise InvalidSerial(f"How many serials to generate must be a whole number of at least 1, not {count!r}.", serial=first)
    if count > MAX_GENERATED:
        raise InvalidSerial(f"At most {MAX_GENERATED:,} serials can be generated at once, not {count:,}.", serial=first)
    prefix, digits, suffix = _pattern(first)
    start, width = int(digits), len(digits)
    out = [first] + [f"{prefix}{str(start + i).zfill(width)}{suffix}" for i in range(1, count)]
    for code in (out[-1],):
        normalize_serial(code)  # the longest one still fits
    return out


def serial_range(first: str, last: str) -> list[str]:
    """Every serial from ``first`` to ``last`` inclusive; both must follow one pattern."""
    first, last = normalize_serial(first), normalize_serial(last)
    p1, d1, s1 = _pattern(first)
    p2, d2, s2 = _pattern(last)
    a, b = int(d1), int(d2)
    if p1 != p2 or s1 != s2 or f"{p1}{str(b).zfill(len(d1))}{s1}" != last:
        raise InvalidSerial(
            f"{first} and {last} do not follow one pattern; a range needs the same text around the last digits.",
            serial=last,
        )
    if b < a:
        raise InvalidSerial(f"The range ends ({last}) before it starts ({first}).", serial=last)
    return generate_serials(first, b - a + 1)


MAX_SEARCH_LENGTH = 200  # a search or prefix longer than any code, name or serial finds nothing anyway


def clean_search(text, field: str = "search") -> str | None:
    """A search text or prefix: trimmed and in NFC; None when empty. InvalidInput (naming ``field``) when
    longer than MAX_SEARCH_LENGTH: no code, name or serial is that long, and the database would work hard
    (SQLite answers "pattern too complex") to find nothing."""
    from .errors import InvalidInput

    if text is None:
        return None
    text = str(text).strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"The {field} is {len(text):,} characters long; at most {MAX_SEARCH_LENGTH} are allowed "
                           "(no code, name or serial is longer). Shorten it.", field=field)
    return nfc(text) or None


def _env_int(name: str, default: int) -> int:
    import os

    try:
        value = int(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


# Serials on one document: saving one holds the writer for the whole of it (300,000 took 7.7 s on SQLite).
MAX_SERIALS_PER_DOCUMENT = _env_int("SERIALSTOCK_MAX_SERIALS_PER_DOCUMENT", 100_000)


def check_serials_per_document(count: int) -> None:
    """InvalidInput (field "serials") when a document carries more than MAX_SERIALS_PER_DOCUMENT serials
    ($SERIALSTOCK_MAX_SERIALS_PER_DOCUMENT, default 100,000)."""
    from .errors import InvalidInput

    if count > MAX_SERIALS_PER_DOCUMENT:
        raise InvalidInput(f"The document carries {count:,} serial numbers; at most {MAX_SERIALS_PER_DOCUMENT:,} fit "
                           "on one document. Split the goods over several documents.", field="serials")
