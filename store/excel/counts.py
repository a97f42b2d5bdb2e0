"""Excel for stock counts: a count's result out, a scanner's file of serials in.

    export_count(number, path)                  sheets Figures, Missing and Extra of a count
    import_count_scans(number, path, operator)  the serials in a column of a file, scanned into a count

Export: "Figures" (Item | Name | Tracked | Expected | Counted | Missing | Extra | Difference), one row per
item; "Missing" (Item | Serial), every missing serial; "Extra" (Item | Serial | Why | Where | Scanned by |
Scanned at UTC), every extra one. Of a posted count: what its adjustment moved.

Import: the serials of one column (store.excel.importer.serials_from_column: the column headed Serial /
Serial number / S/N / IMEI, else the only one; numbers as their digits), all scanned into the count at
once, all or none, as scan_serials scans them: a refusal lists every refused serial.
"""

from __future__ import annotations

import os

from openpyxl import Workbook

from .. import counts
from ..errors import DocumentRefused, ImportRefused
from .exporter import SheetWriter, check_writable, save_workbook
from .importer import serials_from_column


def export_count(number: str, path) -> int:
    """Write count ``number``'s result to ``path`` (.xlsx, written beside and renamed into place).
    Returns the rows written (figures, missing and extra). Raises NotFound, CannotWrite."""
    check_writable(path)
    view = counts.get_count(number)
    wb = Workbook(write_only=True)
    figures = SheetWriter(wb, "Figures", ["Item", "Name", "Tracked", "Expected", "Counted", "Missing", "Extra",
                                          "Difference"], text_columns=(0,))
    for f in view.figures:
        figures.append([f.item, f.name, "yes" if f.tracked else "no", f.expected, f.counted, f.missing, f.extra,
                        f.difference])
    figures.close()
    missing = SheetWriter(wb, "Missing", ["Item", "Serial"], text_columns=(0, 1))
    for d in counts.missing_serials(number, limit=None):
        missing.append([d.item, d.code])
    missing.close()
    extra = SheetWriter(wb, "Extra", ["Item", "Serial", "Why", "Where", "Scanned by", "Scanned at UTC"],
                        text_columns=(0, 1))
    for d in counts.extra_serials(number, limit=None):
        extra.append([d.item, d.code, d.why, d.where or "", d.scanned_by or "", d.scanned_at])
    extra.close()
    save_workbook(wb, path)
    return figures.rows + missing.rows + extra.rows


def import_count_scans(number: str, path, *, operator: str, item: str | None = None,
                       column: str | int | None = None) -> list[counts.ScanResult]:
    """Scan the serials of a file's column into count ``number`` (see the module's docstring); ``item``
    for serials not known yet. Returns each scan's result. Raises FileRefused, ImportRefused (cells
    that hold no serial with their row; serials refused by the count, each named), NotFound, CountClosed."""
    codes = serials_from_column(path, column)
    try:
        return counts.scan_serials(number, codes, item=item, operator=operator)
    except DocumentRefused as r:  # each problem names its serial; nothing was scanned
        raise ImportRefused(os.path.basename(str(path)), r.problems) from None
