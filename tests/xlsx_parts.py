"""An .xlsx written part by part, so that tests control every cell's XML (types, styles, references)
and can damage any part: the bad-input corpus and the reader's fuzz test start from these files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# Style indexes of STYLES: 0 general, 1 date, 2 zero-padded 00000, 3 scientific 0.00E+00, 4 text (@)
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="00000"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="11" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def cell(ref: str, value, *, t: str | None = None, s: int | None = None, raw: str | None = None) -> str:
    """One <c>: text becomes an inline string, numbers <v>; ``raw`` is put inside <c> as is."""
    attrs = f' r="{ref}"' if ref else ""
    if s is not None:
        attrs += f' s="{s}"'
    typed = f' t="{t}"' if t else ""
    if raw is not None:
        return f"<c{attrs}{typed}>{raw}</c>"
    if t is None and isinstance(value, str):
        return f'<c{attrs} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c{attrs} t="b"><v>{int(value)}</v></c>'
    return f"<c{attrs}{typed}><v>{escape(str(value))}</v></c>"


def sheet_xml(rows: list[list], *, extra: str = "", prolog: str = "") -> str:
    """A worksheet from rows of values (None: no cell; a str starting with '<c' is taken as a whole cell)."""
    out = []
    for r, values in enumerate(rows, start=1):
        cells = []
        for k, v in enumerate(values):
            if v is None:
                continue
            ref = f"{chr(65 + k)}{r}"
            cells.append(v if isinstance(v, str) and v.startswith("<c") else cell(ref, v))
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}<worksheet xmlns="{MAIN}">'
            f'<sheetData>{"".join(out)}</sheetData>{extra}</worksheet>')


def shared_xml(strings: list[str], *, prolog: str = "") -> str:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}<sst xmlns="{MAIN}" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')


def build(sheets: dict[str, str], *, shared: str | None = None, states: dict[str, str] | None = None,
          styles: str = STYLES) -> dict[str, bytes]:
    """The parts of a workbook: sheet name -> worksheet XML (in order)."""
    states = states or {}
    names = list(sheets)
    ct = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/styles.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>']
    if shared is not None:
        ct.append('<Override PartName="/xl/sharedStrings.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    for i in range(len(names)):
        ct.append(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
    ct.append("</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    sheet_entries = "".join(
        f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"'
        f'{f" state={chr(34)}{states[n]}{chr(34)}" if n in states else ""}/>' for i, n in enumerate(names))
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" '
                f'xmlns:r="{REL}"><sheets>{sheet_entries}</sheets></workbook>')
    wb_rels = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    for i in range(len(names)):
        wb_rels.append(f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>')
    n = len(names)
    wb_rels.append(f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>')
    if shared is not None:
        wb_rels.append(f'<Relationship Id="rId{n + 2}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    wb_rels.append("</Relationships>")
    parts = {"[Content_Types].xml": "".join(ct), "_rels/.rels": rels, "xl/workbook.xml": workbook,
             "xl/_rels/workbook.xml.rels": "".join(wb_rels), "xl/styles.xml": styles}
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    for i, name in enumerate(names):
        parts[f"xl/worksheets/sheet{i + 1}.xml"] = sheets[name]
    return {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in parts.items()}


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def write(path: Path, parts: dict[str, bytes]) -> Path:
    path.write_bytes(zip_bytes(parts))
    return path


DOC_HEAD = ["Document", "Kind", "Date", "Warehouse", "To warehouse", "Partner", "Note"]
LINE_HEAD = ["Document", "Line", "Item", "Quantity", "Price"]
SERIAL_HEAD = ["Document", "Line", "Serial"]


def receipt_parts(serial_cells: list, *, item: str = "PHONE-X", quantity=None, doc_row=None, line_row=None,
                  extra_serials: str = "", shared: str | None = None, states=None) -> dict[str, bytes]:
    """A receipt of one line of ``item`` whose Serials rows hold ``serial_cells`` (values or whole <c>
    elements for column C)."""
    n = len(serial_cells) if quantity is None else quantity
    serial_rows = [SERIAL_HEAD] + [["1", 1, c if isinstance(c, str) and c.startswith("<c") else c]
                                   for c in serial_cells]
    # a whole <c> for column C must carry its own reference
    serial_rows = [[r[0], r[1], (r[2].replace("<c", f'<c r="C{i + 1}"', 1)
                                 if isinstance(r[2], str) and r[2].startswith("<c") and ' r="' not in r[2][:8]
                                 else r[2])] for i, r in enumerate(serial_rows)]
    sheets = {
        "Documents": sheet_xml([DOC_HEAD, doc_row or ["1", "receipt", "2026-03-02", "MAIN", None, "ACME", "corpus"]]),
        "Lines": sheet_xml([LINE_HEAD, line_row or ["1", 1, item, n, 10]]),
        "Serials": sheet_xml(serial_rows, extra=extra_serials),
    }
    return build(sheets, shared=shared, states=states)
