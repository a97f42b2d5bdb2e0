"""Excel from the app: export the agenda as filtered on screen, import a file, load serials from a column."""

from __future__ import annotations

import openpyxl

from store.documents import DocumentIn, LineIn, save_document
from store.lookups import stock_of
from tests.tui_helpers import app_on, burst, new_line, scans, settle, small_price_list, status_text
from tui.agendas import SerialAgenda


async def _run_job(pilot, path: str, extra: str | None = None):
    screen = pilot.app.screen
    screen.query_one("#path").value = path
    if extra is not None:
        screen.query_one("#extra").value = extra
    await pilot.press("f10")
    for _ in range(50):
        await pilot.pause(0.05)
        if not screen.running:
            break
    await settle(pilot)
    return screen


async def test_export_the_serial_agenda_as_filtered(sqlite_url, tmp_path):
    app = app_on(sqlite_url)
    small_price_list()
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 3, None, ["E1", "E2", "F3"])]), operator="setup")
    save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["E2"])]), operator="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SerialAgenda())
        await settle(pilot)
        await pilot.press("E")  # type to search: serials beginning with E, in stock
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        out = tmp_path / "serials.xlsx"
        job = await _run_job(pilot, str(out))
        assert "1 row(s) written" in str(job.query_one("#status").content)
    ws = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["E1"]


async def test_import_from_the_menu_all_or_nothing(sqlite_url, tmp_path):
    app = app_on(sqlite_url)
    small_price_list()
    good = tmp_path / "receipt.xlsx"
    wb = openpyxl.Workbook()
    docs = wb.active
    docs.title = "Documents"
    docs.append(["Document", "Kind", "Date", "Warehouse"])
    docs.append(["D1", "receipt", "2026-03-02", "MAIN"])
    lines = wb.create_sheet("Lines")
    lines.append(["Document", "Line", "Item", "Quantity"])
    lines.append(["D1", 1, "PHONE-X", 2])
    serials = wb.create_sheet("Serials")
    serials.append(["Document", "Line", "Serial"])
    serials.append(["D1", 1, "IMP-1"])
    serials.append([None, None, "IMP-2"])
    wb.save(good)
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")  # Import .xlsx, from the menu
        await settle(pilot)
        job = await _run_job(pilot, str(bad))
        assert str(job.query_one("#status").content).startswith("! ")
        assert stock_of("PHONE-X") == 0
        job = await _run_job(pilot, str(good))
        assert str(job.query_one("#status").content) == "Imported 0 item(s), 1 document(s), 2 serial(s)."
    assert stock_of("PHONE-X") == 2


async def test_serials_from_a_spreadsheet_column(sqlite_url, tmp_path):
    app = app_on(sqlite_url)
    small_price_list()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Box", "Serial"])
    for i, serial in enumerate([10001, "SUP-2", "SUP-3"]):
        ws.append([f"B{i}", serial])
    path = tmp_path / "supplier.xlsx"
    wb.save(path)
    async with app.run_test(size=(40, 16)) as pilot:
        await new_line(pilot, "receipt", "PHONE-X", 4)
        entry = app.screen
        await burst(pilot, scans(["SCAN-1"]))
        await pilot.press("f7")
        await settle(pilot)
        await _run_job(pilot, str(path), "Serial")
        await pilot.press("escape")
        await settle(pilot)
        assert entry.serials == ["SCAN-1", "10001", "SUP-2", "SUP-3"]
        assert str(entry.query_one("#count").content) == "4/4 complete"
        await pilot.press("f10", "ctrl+s")
        await settle(pilot)
        assert status_text(app).startswith("Saved")
    assert stock_of("PHONE-X") == 4
