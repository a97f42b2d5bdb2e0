"""Excel from the app: export the agenda on screen, import a file with a progress bar, and load a
supplier's list of serials from a column. The work is store.excel's, in thread workers."""

from __future__ import annotations

import datetime as dt
import os

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, ProgressBar

from .common import ConfirmScreen, describe, store_connection
from .dialogs import FormScreen
from .widgets import Plain, StatusLine


def default_path(name: str) -> str:
    return os.path.join(os.path.expanduser("~"), f"serialstock-{name}-{dt.date.today():%Y%m%d}.xlsx")


class FileJob(FormScreen[object]):
    """A file name, then a job on it in a worker with a progress bar; the result or the refusal shows
    here. Esc closes (after the job: with its result)."""

    BINDINGS = [Binding("escape", "close", "Close", id="file.close"),
                Binding("f10", "start", "Start", id="file.start"),
                Binding("ctrl+w", "write_problems", "Write the problems to a file", id="file.write")]
    DEFAULT_CSS = """
    FileJob ProgressBar { height: 1; }
    FileJob #problems-box { height: auto; max-height: 50vh; display: none; }
    FileJob.-short #problems-box { max-height: 3; }
    FileJob #problems-box:focus { background: $boost; }
    """

    def __init__(self, title: str, path: str, job, *, extra: tuple[str, str] | None = None,
                 again: str | None = None) -> None:
        """``job(path, extra_value, progress)`` runs in a thread and returns a sentence for the operator.
        ``again``: what running it again on the same file would do (an import: make its documents
        again); given, F10 or Enter after a success on that file asks first, saying so."""
        super().__init__()
        self.title_text = title
        self.path = path
        self.job = job
        self.extra = extra  # (label, initial) of a second field, e.g. the serial column
        self.again = again
        self.result = None
        self.running = False
        self.done_on: tuple | None = None  # (path, extra, time) of the last success

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Plain(self.title_text, classes="screen-title")
            yield Label("File (.xlsx)")
            yield Input(self.path, compact=True, id="path")
            if self.extra:
                yield Label(self.extra[0])
                yield Input(self.extra[1], compact=True, id="extra")
            yield ProgressBar(show_eta=False, id="progress")
            yield StatusLine("", id="status")
            # every problem of a refused file, scrolled by keys (it has the focus then)
            with VerticalScroll(id="problems-box"):
                yield Plain("", id="problems")
            yield Plain("Enter/F10: start  Esc: close", classes="keys", id="keys")

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
        if self.again and self.done_on is not None and self.done_on[:2] == (path, extra):
            def answered(yes):
                if yes:
                    self.done_on = None
                    self.action_start()

            self.app.push_screen(ConfirmScreen(f"{os.path.basename(path)} was done at {self.done_on[2]}. "
                                               f"Again? {self.again}", "y: yes, again   n/Esc: no"), answered)
            return
        self.running = True
        self._started_on = (path, extra)
        self.query_one(StatusLine).say("Working...", bell=False)
        bar = self.query_one(ProgressBar)
        bar.display = True
        self.query_one("#form", VerticalScroll).anchor(False)

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

        self.run_worker(run, name=f"file_job {self.title_text}", thread=True, group="file-job")

    _started_on: tuple = ("", None)

    def _done(self, result) -> None:
        self.running = False
        self.done_on = (*self._started_on, dt.datetime.now().strftime("%H:%M"))
        self.problems = []
        self.query_one("#problems-box").display = False
        self.result = result
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=1)
        self.query_one(StatusLine).say(result if isinstance(result, str) else result[0], bell=False)

    problems: list[str] = []

    def _failed(self, exc: Exception) -> None:
        self.running = False
        problems = [getattr(p, "message", str(p)) for p in getattr(exc, "problems", [])]
        self.problems = problems
        box = self.query_one("#problems-box", VerticalScroll)
        if not problems:
            box.display = False
            self.query_one(ProgressBar).display = False  # refused whole: nothing is in progress
            self.query_one(StatusLine).say(describe(exc), error=True)
            return
        head = str(exc).split("\n", 1)[0].rstrip(":")
        self.query_one(StatusLine).say(head, error=True)
        self.query_one("#problems", Plain).update("\n".join(f"{n}. {p}" for n, p in enumerate(problems, 1)))
        self.query_one("#keys", Plain).update("Up/Down PgUp/PgDn: scroll  ^w: to a file  F10: again  Esc: close")
        box.display = True
        box.can_focus = True
        self.query_one(ProgressBar).display = False  # its row goes to the problems (and it stops moving)
        box.scroll_home(animate=False)
        box.focus()
        # the form scrolls too on a handheld: bring its end (the box and the key hints) into view, so that
        # the box scrolls its problems inside what is shown (the title and file field go up out of view)
        self.query_one("#form", VerticalScroll).anchor()  # stays at its end as the box's text is laid out

    def action_write_problems(self) -> None:
        """ctrl+w: the problems, whole, to a text file beside the workbook."""
        if not self.problems:
            self.query_one(StatusLine).say("No problems to write.", error=True, bell=False)
            return
        source = os.path.expanduser(self.query_one("#path", Input).value.strip()) or "import"
        target = os.path.splitext(source)[0] + "-problems.txt"
        try:
            with open(target, "w", encoding="utf-8") as f:
                f.write("\n".join(self.problems) + "\n")
        except OSError as exc:
            self.query_one(StatusLine).say(f"Cannot write {target}: {exc.strerror or exc}", error=True)
            return
        self.query_one(StatusLine).say(f"{len(self.problems)} problem(s) written to {target}.", bell=False)

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
