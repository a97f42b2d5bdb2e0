"""GS1 barcodes: one scan that gives the item (its GTIN) and the serial number.

A GS1 DataMatrix, GS1-128 or GS1 QR code carries application identifiers (AIs): 01 the GTIN, 21 the
serial number, 10 the batch/lot, 17 the expiry date (GS1 General Specifications, section 3). A
handheld scanner types the element string, often after a symbology identifier (``]d2`` DataMatrix,
``]C1`` GS1-128, ``]Q3`` QR, ``]e0`` DataBar), with the GS character (0x1D) after each field of
variable length; many scanners are set to send a printable substitute for GS instead (a site setting,
``gs1_separator``). A QR code may carry a GS1 Digital Link URI instead
(``https://id.gs1.org/01/04006381333931/21/XYZ9``). Parsing is the ``biip`` library's, not ours.

A scan is taken as GS1 when it starts with a GS1 symbology identifier, holds a GS (or the site's
substitute, or U+241D, which the terminal app shows for GS), is a Digital Link URI, or starts with
AI 01 and 14 digits followed by another AI. Anything else is a plain serial, item code or EAN.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from .errors import InvalidInput

GS = "\x1d"
GS_SHOWN = "\u241d"  # SYMBOL FOR GROUP SEPARATOR: how a scan field shows the GS a scanner sent
SYMBOLOGIES = ("]d2", "]C1", "]Q3", "]e0", "]J1")  # the GS1 ones (ISO/IEC 15424)
_AI01_THEN_AI = re.compile(r"^01\d{14}(?:21|10|17|11|13|15|30|37)")


class InvalidGs1(InvalidInput):
    """A GS1 scan that cannot be used: a wrong GTIN check digit, a broken element string, no serial."""

    code = "invalid_gs1"


@dataclass(frozen=True)
class Gs1Scan:
    """What one GS1 scan says. ``gtin``: 14 digits; ``serial``, ``lot``: text or None; ``expiry``: a date
    or None (AI 17, day 00 meaning the month's last day, as biip reads it)."""

    gtin: str
    serial: str | None
    lot: str | None
    expiry: dt.date | None
    text: str


def site_separator() -> str | None:
    """What this site's scanners send for GS ($SERIALSTOCK_GS1_SEPARATOR, set from the settings file's
    gs1_separator by the app), or None."""
    return os.environ.get("SERIALSTOCK_GS1_SEPARATOR") or None


def looks_like_gs1(text: str, separator: str | None = None) -> bool:
    """True when ``text`` should be read as a GS1 scan rather than a plain code (see the module's rule)."""
    text = text.strip()
    if text.startswith(SYMBOLOGIES) or GS in text or GS_SHOWN in text:
        return True
    if separator and separator in text and text.startswith("01"):
        return True
    if re.match(r"^https?://[^/]+/(.*/)?01/\d{8,14}", text):
        return True
    return bool(_AI01_THEN_AI.match(text))


def parse_scan(text: str, *, separator: str | None = None) -> Gs1Scan | None:
    """``text`` read as a GS1 scan: a Gs1Scan, or None when it is not one (a plain serial, code or EAN).

    ``separator``: the site's substitute for GS (default: site_separator()). Raises InvalidGs1 for a
    GS1 scan with no GTIN, a GTIN with a wrong check digit, or an element string that does not parse,
    saying which."""
    import biip

    separator = separator if separator is not None else site_separator()
    if not looks_like_gs1(text, separator):
        return None
    raw = text.strip().replace(GS_SHOWN, GS)
    if separator and not raw.startswith(("http://", "https://")):
        raw = raw.replace(separator, GS)
    result = biip.parse(raw, config=biip.ParseConfig(separator_chars=(GS,)))
    elements = None
    if result.gs1_message is not None:
        elements = result.gs1_message.element_strings
    elif result.gs1_digital_link_uri is not None:
        elements = result.gs1_digital_link_uri.element_strings
    if elements is None:
        why = result.gs1_message_error or result.gs1_digital_link_uri_error or "it does not parse"
        raise InvalidGs1(reason=f"the GS1 code {_shown(text)} cannot be read: {why}", field="scan")
    found = {e.ai.ai: e for e in elements}
    gtin = found.get("01")
    if gtin is None:
        raise InvalidGs1(reason=f"the GS1 code {_shown(text)} carries no GTIN (AI 01).", field="scan")
    if gtin.gtin is None:
        raise InvalidGs1(reason=f"the GTIN {gtin.value} in this code has a wrong check digit: scan it again, "
                                "or check the label.", field="scan")
    serial = found.get("21")
    lot = found.get("10")
    expiry = found.get("17")
    return Gs1Scan(gtin.gtin.as_gtin_14(), serial.value if serial else None, lot.value if lot else None,
                   expiry.date if expiry else None, text)


def serial_of(scan: Gs1Scan, *, item: str | None = None) -> str:
    """The serial number a GS1 scan carries; InvalidGs1 ("this code carries no serial number") when none
    (GS1 General Specifications 3.2: the serial is AI 21). ``item``: the item code the refusal names
    (a scan in a document's scan field, where the item is known from the GTIN)."""
    if not scan.serial:
        raise InvalidGs1(reason=f"this code carries no serial number (no AI 21): scan the unit's serial "
                                f"code, not the product's (GTIN {scan.gtin}).", item=item, field="serial")
    return scan.serial


def gtin14(value: str) -> str | None:
    """A GTIN-8, -12, -13 or -14 with a valid check digit, in its 14-digit form; None when ``value`` is
    not one (wrong length, not digits, or a wrong check digit)."""
    from biip.gtin import Gtin

    value = (value or "").strip()
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        return None
    try:
        return Gtin.parse(value).as_gtin_14()
    except Exception:
        return None


GTIN_LENGTHS = (8, 12, 13, 14)


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit for ``digits`` (a GTIN without its last digit): from the right, the
    digits are weighted 3, 1, 3, 1, ...; the check digit brings the sum up to a multiple of 10 (GS1
    General Specifications 7.9.1, "Standard check digit calculations for GS1 data structures").
    Returns one digit as text; ``digits`` must be digits only."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def gtin_forms(gtin_14: str) -> list[str]:
    """The ways an item's EAN field may hold this 14-digit GTIN (14, 13, 12 or 8 digits), longest first."""
    forms = [gtin_14]
    for n in (13, 12, 8):
        if gtin_14[: 14 - n].strip("0") == "":
            forms.append(gtin_14[14 - n:])
    return forms


def _shown(text: str) -> str:
    return text.strip().replace(GS, GS_SHOWN)[:80]
