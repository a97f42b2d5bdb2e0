"""Excel from the app: export the agenda as filtered on screen, import a file, load serials from a column."""

from __future__ import annotations

import openpyxl
import pytest

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


async def test_f10_again_after_an_import_asks_before_importing_the_file_a_second_time(sqlite_url, tmp_path):
    """F10 after a successful import imported the same file again, without a word: a second receipt of the
    same 5 cables, said in the same words (the second walk). It asks now; n keeps the one import."""
    from store.lookups import stock_of as stock
    from tui.common import ConfirmScreen

    app = app_on(sqlite_url)
    small_price_list()
    path = tmp_path / "cables.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Documents"
    wb.active.append(["Document", "Kind", "Date", "Warehouse"])
    wb.active.append(["D1", "receipt", "2026-03-02", "MAIN"])
    lines = wb.create_sheet("Lines")
    lines.append(["Document", "Line", "Item", "Quantity"])
    lines.append(["D1", 1, "CABLE", 5])
    wb.save(path)
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        job = await _run_job(pilot, str(path))
        assert stock("CABLE") == 5
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "cables.xlsx was done at" in app.screen.question
        assert "made a second time" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is job and stock("CABLE") == 5
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("y")  # asked again, and this time meant
        for _ in range(50):
            await pilot.pause(0.05)
            if not job.running and stock("CABLE") == 10:
                break
        assert stock("CABLE") == 10


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


@pytest.mark.parametrize("size", [(40, 16), (40, 8), (20, 16), (80, 24)])
async def test_import_problems_scroll_by_keys_and_write_to_a_file(sqlite_url, tmp_path, size):
    """Thirty unknown items: every problem can be read by keys at every size, and ctrl+w writes
    them all beside the workbook."""
    app = app_on(sqlite_url)
    small_price_list()
    path = tmp_path / "many.xlsx"
    wb = openpyxl.Workbook()
    docs = wb.active
    docs.title = "Documents"
    docs.append(["Document", "Kind"])
    docs.append(["D1", "receipt"])
    lines = wb.create_sheet("Lines")
    lines.append(["Document", "Line", "Item", "Quantity"])
    for n in range(1, 31):
        lines.append(["D1", n, f"GHOST-{n:02d}", 1])
    wb.create_sheet("Serials").append(["Document", "Line", "Serial"])
    wb.save(path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        job = await _run_job(pilot, str(path))
        box = job.query_one("#problems-box")
        text = str(job.query_one("#problems").content)
        assert text.count("no item GHOST-") == 30 and "30. " in text
        assert app.focused is box and box.scroll_y == 0
        if box.max_scroll_y:
            await pilot.press("pagedown")
            await settle(pilot)
            assert box.scroll_y > 0
            await pilot.press("end")
            await settle(pilot)
            assert box.scroll_y == box.max_scroll_y  # the last problem comes into view
            await pilot.press("up")
            await settle(pilot)
            assert box.scroll_y == box.max_scroll_y - 1
        # ... on screen: the box and the key hints under it are inside the form's visible area (at 20x16
        # and 40x16 the form scrolled them below its bottom: the walk)
        form = job.query_one("#form").content_region
        for widget in (box, job.query_one("#keys")):
            assert form.y <= widget.region.y and widget.region.bottom <= form.bottom, (size, widget.id)
        await pilot.press("ctrl+w")
        await settle(pilot)
        written = (tmp_path / "many-problems.txt").read_text()
        assert written.count("no item GHOST-") == 30 and "Lines row 31" in written
        assert "written to" in str(job.query_one("#status").content)
