"""A progress bar for long commands (`serialstock import`, `export`), drawn with rich on stderr when
stderr is a terminal; in a pipe or a file nothing is drawn, and stdout carries only the result."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

STAGES = {"reading": "reading rows", "items": "items", "documents": "documents", "rows": "rows"}


@contextlib.contextmanager
def progress_bar(title: str) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """Yields a ``progress(stage, done, total)`` callback (store.excel's) that draws a bar titled
    ``title`` on a terminal, or None when stderr is not one. ``total`` None: a count without an end
    (rows written so far). The last state stays on the screen when the work ends."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal or console.is_dumb_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:,.0f}{task.fields[of]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(title, total=None, of="")

        def progress(stage: str, done: int, total: int | None) -> None:
            bar.update(task, description=f"{title}: {STAGES.get(stage, stage)}", completed=done, total=total,
                       of=f" of {total:,}" if total else "")

        yield progress
