"""Excel from the app: export the agenda on screen, import a file with a progress bar, and load a
supplier's list of serials from a column. The work is store.excel's, in thread workers."""

from __future__ import annotations

import datetime as dt
import os

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar

from .common import Plain, StatusLine, describe, store_connection
from .dialogs import FORM_CSS


def default_path(name: str) -> str:
    return os.path.join(os.path.expanduser("~"), f"serialstock-{name}-{dt.date.today():%Y%m%d}.xlsx")


class FileJob(ModalScreen[object]):
    """A file name, then a job on it in a worker with a progress bar; the result or the refusal shows
    here. Esc closes (after the job: with its result)."""

    BINDINGS = [Binding("escape", "close", "Close", id="file.close"),
                Binding("f10", "start", "Start", id="file.start")]
    DEFAULT_CSS = FORM_CSS.format(name="FileJob") + "FileJob ProgressBar { height: 1; }"

    def __init__(self, title: str, path: str, job, *, extra: tuple[str, str] | None = None) -> None:
        """``job(path, extra_value, progress)`` runs in a thread and returns a sentence for the operator."""
        super().__init__()
        self.title_text = title
        self.path = path
        self.job = job
        self.extra = extra  # (label, initial) of a second field, e.g. the serial column
        self.result = None
        self.running = False

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(self.title_text, classes="screen-title")
            yield Label("File (.xlsx)")
            yield Input(self.path, compact=True, id="path")
            if self.extra:
                yield Label(self.extra[0])
                yield Input(self.extra[1], compact=True, id="extra")
            yield ProgressBar(show_eta=False, id="progress")
            yield StatusLine("", id="status")
            yield Plain("Enter/F10: start  Esc: close", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "path" and self.extra:
            self.query_one("#extra", Input).focus()
        else:
            self.action_start()

    def action_start(self) -> None:
        if self.running:
            return
        path = os.path.expanduser(self.query_one("#path", Input).value.strip())
        extra = self.query_one("#extra", Input).value.strip() if self.extra else None
        if not path:
            self.query_one(StatusLine).say("Which file?", error=True)
            return
        self.running = True
        self.query_one(StatusLine).say("Working...", bell=False)
        bar = self.query_one(ProgressBar)

        def progress(stage, done, total):
            self.app.call_from_thread(bar.update, total=total, progress=done)

        def run():
            try:
                with store_connection(self.app):
                    result = self.job(path, extra, progress)
            except Exception as exc:
                self.app.call_from_thread(self._failed, exc)
                return
            self.app.call_from_thread(self._done, result)

        self.run_worker(run, thread=True, group="file-job")

    def _done(self, result) -> None:
        self.running = False
        self.result = result
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=1)
        self.query_one(StatusLine).say(result if isinstance(result, str) else result[0], bell=False)

    def _failed(self, exc: Exception) -> None:
        self.running = False
        self.query_one(StatusLine).say(describe(exc), error=True)

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(self.result)


def export_job(agenda: str, filters: dict):
    def job(path, _extra, progress):
        from store.excel import export_agenda

        n = export_agenda(agenda, path, progress=progress, **{k: v for k, v in filters.items() if v})
        return f"{n:,} row(s) written to {path}."
    return job


def import_job(operator: str):
    def job(path, _extra, progress):
        from store.excel import import_file

        r = import_file(path, operator, progress=progress)
        return (f"Imported {len(r.items)} item(s), {len(r.documents)} document(s), {r.serials:,} serial(s)"
                + (f"; {len(r.skipped)} generated document(s) left to their invoice." if r.skipped else "."))
    return job


def serial_column_job(path, column, progress):
    from store.excel import serials_from_column

    codes = serials_from_column(path, column=column or None)
    return (f"{len(codes)} serial(s) read from {os.path.basename(path)}.", codes)
