"""Serial entry helpers every front end uses: clean one serial, split a pasted list,
generate a run from a first serial, expand a range.

Generating counts up the *last* group of digits and keeps its zero padding
(SN-0098 x5: SN-0098 .. SN-0102; A7-009-X x3: A7-009-X, A7-010-X, A7-011-X). A serial with no
digits at all cannot be counted up: that is refused with a message saying to scan or type each one.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidSerial

MAX_SERIAL_LENGTH = 100
MAX_GENERATED = 100_000

_SPLIT = re.compile(r"[\r\n,;\t]+")
_LAST_DIGITS = re.compile(r"^(.*?)(\d+)(\D*)$", re.DOTALL)


def normalize_serial(raw: str, *, line: int | None = None, item: str | None = None) -> str:
    """The serial as stored: trimmed. Refuses empty ones, control characters, absurd lengths."""
    where = f"Line {line} ({item}): " if line is not None and item else ""
    if raw is None:
        raise InvalidSerial(f"{where}an empty serial number; scan or type it again.", line=line, item=item)
    code = str(raw).strip()
    if not code:
        raise InvalidSerial(f"{where}an empty serial number; scan or type it again.", line=line, item=item)
    if not (code.isascii() and code.isprintable()) and any(
            unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in code):
        shown = code.encode("unicode_escape").decode("ascii")
        raise InvalidSerial(
            f"{where}serial {shown} contains a control character; scan it again.",
            serial=shown, line=line, item=item,
        )
    if len(code) > MAX_SERIAL_LENGTH:
        raise InvalidSerial(
            f"{where}serial {code[:20]}... is {len(code)} characters long; at most {MAX_SERIAL_LENGTH} are allowed.",
            serial=code[:MAX_SERIAL_LENGTH], line=line, item=item,
        )
    return code


def split_serials(text: str) -> list[str]:
    """A pasted list: one serial per line, or separated by commas, semicolons or tabs.
    Blanks are dropped; order and repeats are kept (repeats are refused later, by name)."""
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


def _pattern(serial: str) -> tuple[str, str, str]:
    m = _LAST_DIGITS.match(serial)
    if not m:
        raise InvalidSerial(
            f"Serial {serial} has no digits to count up from; scan or type each serial instead.",
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
    out = [f"{prefix}{str(start + i).zfill(width)}{suffix}" for i in range(count)]
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
