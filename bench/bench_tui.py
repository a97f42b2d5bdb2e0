"""Benchmark of the terminal app against bare baselines, run by hand.

    /work/venv/bin/python bench/bench_tui.py            # 1,000,000 serials over 10,000 items, one of them 100,000
    /work/venv/bin/python bench/bench_tui.py --quick    # 100,000 serials over 1,000 items, one of them 10,000
    /work/venv/bin/python bench/bench_tui.py --keep     # keep bench/bench_tui_<serials>.db; --reuse takes it next time

What it does
  0. Fills an SQLite file bench/bench_tui_<serials>.db (git-ignored) with bench/bench_store.py's own
     population code (the exact rows the store writes: receipts, lines, doc_line_serial, serial_number,
     ledger, stock), except that item IT000001 holds ``--big`` serials, all in stock in MAIN, and the
     rest are spread evenly over the other items. check() must return [] (skip with --no-check).
  1. Start to first screen, each run a separate process (``--runs`` each, median; one warm-up each
     first, discarded), interleaved and alternating who goes first:
       ours: what `serialstock --db URL` does (check the URL, SerialStockApp(offer_demo=False, url=URL).run(),
             which opens the database in a thread after its first paint), on the populated database: the
             MenuScreen; 'settled' for ours also waits until the database is open;
       bare: a Textual App whose only widget is one Label.
     Timed from just before the process is spawned (interpreter start and imports count), two ways:
       - pty: the real Linux driver on an 80x24 pseudo-terminal; the time is when the first screen's text
         ("1. Serial Numbers" / the Label's text) has come out of the terminal, as a user sees it. The target
         applies to this one.
       - headless: app.run(headless=True); the time is when the first frame of the first screen was rendered
         for the driver (App._display outside a batch_update; CLOCK_MONOTONIC, comparable across processes).
     Either process exits from a call_after_refresh scheduled in the app's on_mount ('settled'; for ours
     once the MenuScreen and its menu are there); that time and the exit are in the detail.
  2. and 3. In one child process (so its peak memory is its own), the app under Pilot
     (app.run_test(size=(80, 24))), on the MenuScreen, with workers settled between steps:
       - ctrl+End, 200 PgDn from the start, 200 PgUp from the end, 600 Down at 30 a second, each key
         sent as the terminal driver sends it and timed to the frame after it; RSS after
         paging through 100,000 rows; baselines: the same page queries on raw sqlite3. PgDn/PgUp are
         timed twice per key: to the frame with the cursor at its new row (what the operator sees; the
         list may still be reading the next page ahead, in a thread) and to the frame after that
         read-ahead is done too (what this bench timed alone before).
       - Old beside new: the bench imports the app from the folder it lives in, so a copy of this file
         in a `git worktree add --detach /tmp/old <commit>` runs it against that commit's code (the
         picker is timed whether it is a DataTable or a PagedList); `--reuse` there takes a database
         file copied into its bench/.
       - pushes a SerialAgenda (a subclass that only records times: reload(), fetch() in the worker,
         on_rows_shown() and a call_after_refresh from there); the time is from push_screen until that
         callback ran ('painted': the frame with the rows was rendered and the screen went idle). The
         first push, then ``--reps`` more (pop, settle, push), median.
       - in the last agenda, F3 focuses '#search' and a real serial code is typed one character at a
         time, each keystroke waited for until the table shows the rows of that prefix (checked). Per
         keystroke: raw = key press -> filtered rows painted (includes the agenda's 0.15 s debounce
         timer); work = reload() (which the debounce timer calls) -> filtered rows painted. The < 100 ms
         target is applied to ``work``: the debounce is a deliberate pause of 150 ms, longer than the
         target by itself, and is not work; a user waits debounce + work.
       - peak memory of that process after the agenda part: VmHWM from /proc/self/status (the peak RSS
         of this process image). ru_maxrss is printed too, but in a child Linux folds the parent's RSS
         at fork into it.
       - pushes a SerialPickerScreen for an issue of IT000001 from MAIN (``--big`` serials in stock):
         push_screen -> first rows painted, first and median of ``--reps``.
     Garbage collections (gc.callbacks) and the first frame rendered after the table was filled are
     recorded too, to tell where the time went.
     Baselines: raw sqlite3 on a new connection with the store's pragmas (the app opens one per worker
     call) replaying the very statements list_serials sends for that first page (captured at peewee's
     execute_sql: item and warehouse look-ups if filtered, the page of serials joined with item and
     warehouse, the latest in/out ledger rows of those serials), fetching plain tuples; median of 5,
     for scale. The memory baseline is the bare app's process.

Prints a table: measure | ours | baseline | ratio | target | ok, then the detail. Exit status 1 when a
target is missed. --profile adds a cProfile of the agenda/picker child (its times are then inflated);
--gc-freeze is an experiment (gc.freeze() once the menu is up, which the app does not do);
--skip-startup leaves out measure 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import select
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PY = sys.executable
BIG_ITEM = "IT000001"  # item 1: doc 1, warehouse 1 (MAIN)
BIG_WH = "MAIN"
PAGE = 100


def say(*a) -> None:
    print(*a, flush=True)


# --- population (bench_store's code, one big item) -----------------------------------------------------

def make_layout(serials: int, items: int, big: int, seed: int):
    from bench_store import Layout

    class TuiLayout(Layout):
        """bench_store's Layout with item 1 holding ``big`` serials and the rest spread over the others."""

        def __init__(self):
            super().__init__(serials, items, 4, 10, 1.0, seed)
            rest = serials - big
            base, extra = divmod(rest, items - 1)
            self.count = [0, big] + [base + (1 if k <= extra else 0) for k in range(1, items)]
            self.offset = [0] * (items + 1)
            for i in range(2, items + 1):
                self.offset[i] = self.offset[i - 1] + self.count[i - 1]
            self.shared = [0, 0] + [int(self.count[i] * 1.0 / 100) for i in range(2, items + 1)]

    return TuiLayout()


def prepare_db(args) -> tuple[str, Path, object]:
    import bench_store

    from store import db as dbm

    path = HERE / f"bench_tui_{args.serials}.db"
    be = bench_store.SqliteBackend(f"sqlite:///{path}", path)
    lay = make_layout(args.serials, args.items, args.big, args.seed)
    if args.reuse and path.exists():
        with sqlite3.connect(str(path)) as c:
            n = c.execute("SELECT COUNT(*) FROM serial_number").fetchone()[0]
            b = c.execute("SELECT COUNT(*) FROM serial_number s JOIN item i ON i.id = s.item_id "
                          "WHERE i.code = ? AND s.status = 'in_stock'", (BIG_ITEM,)).fetchone()[0]
        if n == args.serials and b == args.big:
            say(f"  reusing {path} ({n:,} serials, {BIG_ITEM} has {b:,} in stock)")
            return be.url, path, lay
        say(f"  {path} holds {n:,} serials / {b:,} of {BIG_ITEM}; filling it again")
    be.reset()
    dbm.connect(be.url).close()  # the store's own schema and MAIN
    took = bench_store.populate(be, lay)
    say(f"  populated {args.serials:,} serials over {args.items:,} items ({BIG_ITEM}: {args.big:,}) "
        f"in {took:.1f} s; {be.size()}")
    if not args.no_check:
        from store.check import check

        dbm.connect(be.url)
        t = time.perf_counter()
        problems = check()
        say(f"  check(): {problems!r} ({time.perf_counter() - t:.1f} s)")
        dbm.db.close()
        if problems:
            sys.exit("  the populated database is not consistent; the figures would mean nothing.")
    return be.url, path, lay


# --- 1. start to first screen ----------------------------------------------------------------------------

# ru_maxrss is no good in a child: Linux carries the parent's high-water mark over fork + exec (the
# orchestrator holds ~120 MB after populating). VmHWM of /proc/self/status belongs to the new image.
PEAK_KB = r"""
def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _peak_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
_peak_code: dict = {}
exec(PEAK_KB, _peak_code)  # the same text runs in the children (CHILD_COMMON)
_rss_kb, _peak_kb = _peak_code["_rss_kb"], _peak_code["_peak_kb"]

CHILD_COMMON = PEAK_KB + r"""
import json, sys, time
OUT, HEADLESS, URL = sys.argv[1], sys.argv[2] == "1", sys.argv[3]

FRAME = []

def _watch_frames(app_class, screen_name):
    # The moment the first frame of the first screen is rendered for the driver (which writes it to the
    # terminal, or drops it when headless): Textual 8.2.8's App._display, skipping the frames it drops
    # inside a batch_update. Without that method there is no frame time.
    orig = getattr(app_class, "_display", None)
    if orig is None:
        return
    def _display(self, screen, renderable):
        if (renderable is not None and not FRAME and type(screen).__name__ == screen_name
                and not getattr(self, "_batch_count", 0)):
            t = time.monotonic()
            orig(self, screen, renderable)
            FRAME.append(t)
            return
        return orig(self, screen, renderable)
    app_class._display = _display

def _record(app, extra):
    settled = time.monotonic()
    with open(OUT, "w") as f:
        json.dump(dict(frame=FRAME[0] if FRAME else None, settled=settled, imported=IMPORTED,
                       screen=type(app.screen).__name__, maxrss_kb=_peak_kb(), **extra), f)
    app.exit()
"""

CHILD_BARE = CHILD_COMMON + r"""
from textual.app import App
from textual.widgets import Label
IMPORTED = time.monotonic()
_watch_frames(App, "Screen")

class Bare(App):
    def compose(self):
        yield Label("Hello from a bare app")

    def on_mount(self):
        self.call_after_refresh(_record, self, {})

Bare().run(headless=HEADLESS)
"""

# What serialstock.cli.main does for the TUI: check the URL, then import and run the app, which opens
# the database (schema check) in a thread once its first screen is painted.
CHILD_OURS = CHILD_COMMON + r"""
import gc
gc.disable()  # as serialstock.cli.main() does; the app enables it after its first paint
from serialstock.cli import _skip_postgres_driver
from store.urls import parse_url
parse_url(URL)
_skip_postgres_driver()  # as main() does for an SQLite URL
from tui.app import MenuScreen, SerialStockApp
IMPORTED = time.monotonic()
_watch_frames(SerialStockApp, "MenuScreen")

class Ours(SerialStockApp):
    # a subclass defined in -c code has no file for Textual to resolve a relative CSS_PATH against
    CSS_PATH = __import__("os").path.join(__import__("os").path.dirname(sys.modules["tui.app"].__file__),
                                          SerialStockApp.CSS_PATH)

    def on_mount(self):  # Textual calls SerialStockApp.on_mount too (handlers run along the MRO)
        self.call_after_refresh(self._painted, 0)

    def _painted(self, tries):
        s = self.screen
        if not (isinstance(s, MenuScreen) and s.query("#menu") and s.query_one("#menu").option_count
                and self._database_opened.is_set()):
            self.call_after_refresh(self._painted, tries + 1)
            return
        _record(self, {"tries": tries})

Ours(operator="bench", offer_demo=False, url=URL).run(headless=HEADLESS)
"""

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][0-9A-B]|[=>78])")
MARKERS = {"bare": "Hello from a bare app", "ours": "1. Serial Numbers"}


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", COLUMNS="80", LINES="24",
               PYTHONPATH=str(ROOT), SERIALSTOCK_DB="")
    return env


def start_run(kind: str, mode: str, url: str, timeout: float = 60.0) -> dict:
    """One process of ``kind`` (bare / ours) run ``mode`` (pty / headless): seconds from spawn to its first
    screen's text out of the terminal (pty only), to its first frame, to its settled callback, to the end
    of its imports and to its exit, and its peak RSS."""
    import fcntl
    import pty
    import struct
    import termios

    code = CHILD_BARE if kind == "bare" else CHILD_OURS
    fd, out = tempfile.mkstemp(prefix="bench_tui_", suffix=".json")
    os.close(fd)
    os.unlink(out)
    argv = [PY, "-c", code, out, "1" if mode == "headless" else "0", url]
    res: dict = {}
    try:
        if mode == "headless":
            t0 = time.monotonic()
            p = subprocess.run(argv, env=child_env(), cwd=str(ROOT), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
            ended = time.monotonic()
            if p.returncode != 0 or not os.path.exists(out):
                raise RuntimeError(f"{kind} headless run failed ({p.returncode}):\n{p.stderr.decode()[-3000:]}")
        else:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            t0 = time.monotonic()
            p = subprocess.Popen(argv, env=child_env(), cwd=str(ROOT), stdin=slave, stdout=slave, stderr=slave,
                                 start_new_session=True, close_fds=True)
            os.close(slave)
            buf, text, visible = b"", "", None
            deadline = t0 + timeout
            while True:
                r, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
                if not r:
                    p.kill()
                    raise RuntimeError(f"{kind} pty run timed out; screen so far:\n{text[-2000:]}")
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                now = time.monotonic()
                buf += chunk
                if visible is None:
                    text = ANSI.sub("", buf.decode("utf-8", "replace"))
                    if MARKERS[kind] in text:
                        visible = now
            p.wait(timeout=timeout)
            ended = time.monotonic()
            os.close(master)
            if visible is None or not os.path.exists(out):
                raise RuntimeError(f"{kind} pty run: marker {MARKERS[kind]!r} not seen (rc {p.returncode}); "
                                   f"output:\n{ANSI.sub('', buf.decode('utf-8', 'replace'))[-3000:]}")
            res["visible"] = visible - t0
            res["bytes"] = len(buf)
        with open(out) as f:
            rep = json.load(f)
        frame = rep["frame"] if rep["frame"] is not None else rep["settled"]  # no App._display: the callback
        res.update(frame=frame - t0, settled=rep["settled"] - t0,
                   imported=rep["imported"] - t0, ended=ended - t0,
                   maxrss_mb=rep["maxrss_kb"] / 1024, screen=rep["screen"], tries=rep.get("tries", 0))
        return res
    finally:
        if os.path.exists(out):
            os.unlink(out)


def bench_startup(url: str, runs: int) -> dict:
    runs_of = {(k, m): [] for k in ("bare", "ours") for m in ("pty", "headless")}
    for k in ("bare", "ours"):  # warm-up: .pyc files, OS cache
        for m in ("pty", "headless"):
            start_run(k, m, url)
    for r in range(runs):
        order = ("bare", "ours") if r % 2 == 0 else ("ours", "bare")
        for m in ("pty", "headless"):
            for k in order:
                runs_of[(k, m)].append(start_run(k, m, url))
        say("  run %d: pty visible bare %.3f ours %.3f s; headless first frame bare %.3f ours %.3f s" % (
            r + 1, runs_of[("bare", "pty")][-1]["visible"], runs_of[("ours", "pty")][-1]["visible"],
            runs_of[("bare", "headless")][-1]["frame"], runs_of[("ours", "headless")][-1]["frame"]))
    return runs_of


# --- 2. and 3. the agenda and the picker, in a child process under Pilot -----------------------------

def tui_child(url: str, out: str, prefix: str, reps: int, profile: bool, gc_freeze: bool = False) -> None:
    import asyncio
    import gc

    from store import db as dbm
    dbm.connect(url)
    from tui.agendas import SerialAgenda
    from tui.app import MenuScreen, SerialStockApp
    from tui.serial_entry import SerialContext, SerialPickerScreen

    perf = time.perf_counter
    log: list[tuple] = []  # (what, time, ...) appended from the event loop and from worker threads

    class BenchSerialAgenda(SerialAgenda):
        """SerialAgenda as it is, recording when things happen."""

        def reload(self):
            log.append(("reload", perf(), self.search_text))
            super().reload()

        def fetch(self, search, after_row, limit, descending=False):
            t = perf()
            rows = super().fetch(search, after_row, limit, descending)
            log.append(("fetch", t, perf(), search, after_row is None, len(rows)))
            return rows

        def on_rows_shown(self):
            super().on_rows_shown()
            search, n = self.search_text, len(self.rows)
            codes = [r.code for r in self.rows]
            log.append(("shown", perf(), search, n))
            self.call_after_refresh(lambda: log.append(("painted", perf(), search, n, codes)))

        def refresh_rows(self):
            log.append(("refresh", perf()))
            super().refresh_rows()

    class BenchPicker(SerialPickerScreen):
        """SerialPickerScreen as it is, recording when things happen. Its list is a PagedList (since
        issue 12) and, before that, a DataTable filled by _show(): both are timed, so that this bench runs
        against the code of either (a git worktree of an older commit)."""

        def load(self, *args, **kwargs):
            log.append(("reload", perf(), ""))
            super().load(*args, **kwargs)

        def _show(self, rows, *args, **kwargs):  # the DataTable picker (before issue 12)
            t = perf()
            super()._show(rows, *args, **kwargs)
            log.append(("data", t))
            self._shown()

        def on_rows_shown(self):  # the PagedList picker
            super().on_rows_shown()
            log.append(("data", perf()))
            self._shown()

        def _shown(self):
            log.append(("shown", perf(), "", len(self.rows)))
            n = self.table.row_count
            self.call_after_refresh(lambda: log.append(("painted", perf(), "", n, [])))

    orig_display = getattr(SerialStockApp, "_display", None)
    if orig_display is not None:  # Textual 8.2.8: every frame rendered for the driver (dropped when headless)
        def _display(self, screen, renderable):
            if renderable is not None and not getattr(self, "_batch_count", 0):
                log.append(("frame", perf(), type(screen).__name__))
            return orig_display(self, screen, renderable)
        SerialStockApp._display = _display

    def frame_after(t, screen_name):
        for e in list(log):
            if e[0] == "frame" and e[1] >= t and e[2] == screen_name:
                return e[1]
        return None

    def gc_cb(phase, info):  # garbage collections, to tell their pauses from the app's own work
        if phase == "start":
            gc_start[0] = perf()
        else:
            log.append(("gc", gc_start[0], perf(), info["generation"]))

    gc_start = [0.0]
    gc.callbacks.append(gc_cb)

    def between(t0, t1, what="gc"):
        """(count, seconds) of garbage collections / (count, 0) of other events between t0 and t1."""
        es = [e for e in list(log) if e[0] == what and t0 <= e[1] <= t1]
        return len(es), sum((e[2] - e[1]) for e in es) if what == "gc" else 0.0

    async def until(pred, timeout=30.0):
        end = perf() + timeout
        while True:
            hit = pred()
            if hit:
                return hit
            if perf() > end:
                raise TimeoutError(f"nothing painted within {timeout:.0f} s (is the database populated?)")
            await asyncio.sleep(0.0005)

    def first(after: int, what: str, cond=lambda e: True):
        for e in log[after:]:
            if e[0] == what and cond(e):
                return e
        return None

    async def settle(pilot):
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    res: dict = {"push": [], "keys": [], "picker": []}

    from textual import events

    def key(pilot, name):
        """A key as the terminal driver hands it to the app (what Pilot's press does, without its
        waiting for the whole app to go idle after it: tens of ms of its own)."""
        app = pilot.app
        event = events.Key(name, None)
        event.set_sender(app)
        app._driver.send_message(event)

    def state(t):
        return (t.cursor, t.top, t.window_offset, t.anchor, len(t.rows), t._pending, t._generation)

    async def painted_after(agenda):
        fut = asyncio.get_running_loop().create_future()
        agenda.call_after_refresh(lambda: fut.done() or fut.set_result(perf()))
        return await fut

    async def press_painted(pilot, agenda, name, pred=None, *, both=False):
        """A key -> the list moved, settled (no read on its way, no move waiting for rows) and painted.
        ``both``: (key -> the cursor painted at its new row, which is what the operator sees; a page read
        ahead may still be on its way) and (key -> that read done and painted too)."""
        t = agenda.table
        before = state(t)
        t0 = perf()
        key(pilot, name)
        moved = None
        if both:
            await until(lambda: state(t) != before and t._pending == 0 and (pred is None or pred()))
            moved = await painted_after(agenda) - t0
        await until(lambda: state(t) != before and t._busy is None and t._pending == 0
                    and (pred is None or pred()))
        settled = await painted_after(agenda) - t0
        return (moved, settled) if both else settled

    async def moves(pilot, agenda):
        """ctrl+End, PgDn/PgUp at every depth, Down held across window edges, memory after 100,000 rows."""
        t = agenda.table
        at_start = lambda: t.anchor == "start" and t.window_offset == 0  # noqa: E731
        await until(lambda: t.total is not None)
        total = t.total
        res["total"] = total
        res["ctrl_end"] = []
        for _ in range(reps + 1):
            res["ctrl_end"].append(await press_painted(pilot, agenda, "ctrl+end", lambda: not t.more_after))
            res["last_position"] = t.position_text()
            await settle(pilot)
            await press_painted(pilot, agenda, "ctrl+home", at_start)
            await settle(pilot)
        # PgDn from the start, 200 presses (the window slides several times); PgUp from the end
        pgdn = [await press_painted(pilot, agenda, "pagedown", both=True) for _ in range(200)]
        res["pgdn_start"], res["pgdn_start_moved"] = [p[1] for p in pgdn], [p[0] for p in pgdn]
        await press_painted(pilot, agenda, "ctrl+end", lambda: not t.more_after)
        pgup = [await press_painted(pilot, agenda, "pageup", both=True) for _ in range(200)]
        res["pgup_end"], res["pgup_end_moved"] = [p[1] for p in pgup], [p[0] for p in pgup]
        # Down held: key repeat at 30 a second for 600 rows, crossing window edges; each key's latency
        # (key -> the frame after it)
        await press_painted(pilot, agenda, "ctrl+home", at_start)
        lat = []
        for _ in range(600):
            t0 = perf()
            before = state(t)
            key(pilot, "down")
            await until(lambda: state(t) != before)
            fut = asyncio.get_running_loop().create_future()
            agenda.call_after_refresh(lambda: fut.done() or fut.set_result(perf()))
            lat.append((await fut) - t0)
            await asyncio.sleep(max(0.0, 1 / 30 - (perf() - t0)))
        res["down_held"] = lat
        await settle(pilot)
        res["down_position"] = t.position_text()
        # through 100,000 rows from the start by PgDn (the list's own action, as the key calls it:
        # Pilot's press waits for the whole app to go idle after each key, ~0.1 s a key here), then
        # the memory
        await press_painted(pilot, agenda, "ctrl+home", at_start)
        t_scroll = perf()
        n = 0
        while (t.position() or 0) < min(100_000, total):
            t.action_page(1)
            n += 1
            await asyncio.sleep(0)
            if t._pending:
                await until(lambda: t._busy is None and t._pending == 0)
        await settle(pilot)
        res["scroll_100k"] = dict(seconds=perf() - t_scroll, presses=n, position=t.position_text(),
                                  held=len(t.rows), rss_mb=_rss_kb() / 1024, peak_mb=_peak_kb() / 1024)
        await press_painted(pilot, agenda, "ctrl+home", at_start)
        await settle(pilot)

    async def run():
        app = SerialStockApp(operator="bench", offer_demo=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, MenuScreen), app.screen
            if gc_freeze:  # experiment: what the app could do once its first screen is up
                gc.freeze()
            agenda = None
            for r in range(reps + 1):
                if agenda is not None:
                    app.pop_screen()
                    await settle(pilot)
                mark = len(log)
                agenda = BenchSerialAgenda()
                t0 = perf()
                app.push_screen(agenda)
                painted = await until(lambda: first(mark, "painted", lambda e: e[3] > 0))
                fetch = first(mark, "fetch")
                shown = first(mark, "shown")
                reload_ = first(mark, "reload")
                res["push"].append(dict(total=painted[1] - t0, reload=reload_[1] - t0, fetch_start=fetch[1] - t0,
                                        fetch_end=fetch[2] - t0, shown=shown[1] - t0, rows=painted[3],
                                        first=painted[4][0], gc=between(t0, painted[1]),
                                        frame=(frame_after(shown[1], "BenchSerialAgenda") or painted[1]) - t0))
                await settle(pilot)
            await moves(pilot, agenda)
            # filter keystrokes into '#search'
            await pilot.press("f3")  # F3: the search field
            await pilot.pause()
            assert app.focused is agenda.query_one("#search"), app.focused
            typed = ""
            for ch in prefix:
                typed += ch
                mark = len(log)
                t0 = perf()
                await pilot.press(ch)
                t_pressed = perf()
                # the rows painted after the reload() of this prefix: a 5 s refresh that fires between the
                # key and the debounced reload() also paints rows under the new search text, with no
                # reload() before it (this was the bench's "NoneType is not subscriptable")
                def reload_then_painted():
                    r = first(mark, "reload", lambda e: e[2] == typed)
                    if r is None:
                        return None
                    p = first(log.index(r, mark), "painted", lambda e: e[2] == typed)
                    return p and (r, p)

                reload_, painted = await until(reload_then_painted)
                after = log.index(reload_, mark)
                fetch = first(after, "fetch", lambda e: e[3] == typed and e[4])
                shown = first(after, "shown", lambda e: e[2] == typed)
                bad = [c for c in painted[4] if not c.startswith(typed)]
                assert not bad, f"rows shown for {typed!r} include {bad[:3]}"
                res["keys"].append(dict(prefix=typed, raw=painted[1] - t0, pressed=t_pressed - t0,
                                        work=painted[1] - reload_[1], debounce=reload_[1] - t0,
                                        fetch=fetch[2] - fetch[1], reload_to_fetch=fetch[1] - reload_[1],
                                        fetch_to_shown=shown[1] - fetch[2], shown_to_painted=painted[1] - shown[1],
                                        rows=painted[3], gc=between(t0, painted[1]),
                                        frame=(frame_after(shown[1], "BenchSerialAgenda") or painted[1]) - reload_[1],
                                        refresh=between(t0, painted[1], "refresh")[0]))
                await settle(pilot)
            res["maxrss_agenda_mb"] = _peak_kb() / 1024
            res["ru_maxrss_agenda_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            # the issuing picker
            picker = None
            ctx = SerialContext(kind="issue", item=BIG_ITEM, item_name="Bench item 1", quantity=1,
                                warehouse=BIG_WH, document=None, line=1)
            app.pop_screen()
            await settle(pilot)
            for r in range(reps + 1):
                if picker is not None:
                    app.pop_screen()
                    await settle(pilot)
                mark = len(log)
                picker = BenchPicker(ctx, [])
                t0 = perf()
                app.push_screen(picker)
                painted = await until(lambda: first(mark, "painted", lambda e: e[3] > 0))
                reload_ = first(mark, "reload")
                data = first(mark, "data")
                shown = first(mark, "shown")
                res["picker"].append(dict(total=painted[1] - t0, reload=reload_[1] - t0, data=data[1] - t0,
                                          shown=shown[1] - t0, rows=painted[3], gc=between(t0, painted[1]),
                                          frame=(frame_after(shown[1], "BenchPicker") or painted[1]) - t0))
                await settle(pilot)
            res["maxrss_end_mb"] = _peak_kb() / 1024

    if profile:
        import cProfile
        import io
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        asyncio.run(run())
        pr.disable()
        s = io.StringIO()
        st = pstats.Stats(pr, stream=s)
        st.sort_stats("cumulative").print_stats(45)
        st.sort_stats("tottime").print_stats(30)
        res["profile"] = s.getvalue()
    else:
        asyncio.run(run())
    with open(out, "w") as f:
        json.dump(res, f)


def run_tui_child(url: str, prefix: str, reps: int, profile: bool, gc_freeze: bool = False) -> dict:
    fd, out = tempfile.mkstemp(prefix="bench_tui_", suffix=".json")
    os.close(fd)
    try:
        argv = [PY, str(Path(__file__).resolve()), "--child-tui", url, "--child-out", out, "--prefix", prefix,
                "--reps", str(reps)] + (["--profile"] if profile else []) + (["--gc-freeze"] if gc_freeze else [])
        p = subprocess.run(argv, env=child_env(), cwd=str(ROOT), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"TUI child failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-5000:]}")
        with open(out) as f:
            return json.load(f)
    finally:
        os.unlink(out)


# --- baselines: raw sqlite3 ------------------------------------------------------------------------------

def capture_selects(url: str, **filters) -> list[tuple[str, tuple]]:
    """The statements store.lookups.list_serials(**filters) sends for one page (look-ups of item and
    warehouse, the page, the latest ledger rows), captured at peewee's Database.execute_sql."""
    from store import db as dbm
    from store.lookups import list_serials

    database = dbm.connect(url)
    seen: list[tuple[str, tuple]] = []
    orig = database.execute_sql

    def capture(sql, params=None, *a, **kw):
        seen.append((sql, tuple(params or ())))
        return orig(sql, params, *a, **kw)

    database.execute_sql = capture
    try:
        with database.connection_context():
            list_serials(limit=PAGE, **filters)
    finally:
        del database.execute_sql
        database.close()
    return seen


def raw_conn(path: Path) -> sqlite3.Connection:
    from store.db import SQLITE_PRAGMAS

    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10)
    for k, v in SQLITE_PRAGMAS.items():
        conn.execute(f"PRAGMA {k} = {v}")
    return conn


def raw_selects(conn, statements) -> int:
    """Replay the statements, fetching plain tuples; returns the rows of the page (the longest result)."""
    return max(len(conn.execute(sql, params).fetchall()) for sql, params in statements)


def raw_time(path: Path, statements, *, fresh=True, n=5) -> tuple[float, int]:
    """Median seconds of the same SELECTs on raw sqlite3: on a new connection each time (as each worker
    call of the app opens one) or on one open connection."""
    times, rows = [], 0
    warm = raw_conn(path)
    raw_selects(warm, statements)
    for _ in range(n):
        t = time.perf_counter()
        conn = raw_conn(path) if fresh else warm
        rows = raw_selects(conn, statements)
        if fresh:
            conn.close()
        times.append(time.perf_counter() - t)
    warm.close()
    return statistics.median(times), rows


def query_plan(path: Path, statements) -> str:
    sql, params = max(statements, key=lambda st: "ORDER BY" in st[0] and "serial_number" in st[0])
    with raw_conn(path) as c:
        plan = c.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "; ".join(r[-1] for r in plan)


# --- main -------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serials", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=100_000, help=f"serials of {BIG_ITEM} (the picker's item)")
    ap.add_argument("--quick", action="store_true", help="100,000 serials over 1,000 items, 10,000 of them one item")
    ap.add_argument("--runs", type=int, default=5, help="processes per app and way for the startup (median)")
    ap.add_argument("--reps", type=int, default=5, help="agenda/picker opens after the first (median)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    ap.add_argument("--reuse", action="store_true", help="use the database file of an earlier --keep run if it fits")
    ap.add_argument("--no-check", action="store_true", help="skip check() on the populated database")
    ap.add_argument("--skip-startup", action="store_true", help="skip measure 1 (when iterating on 2 and 3)")
    ap.add_argument("--gc-freeze", action="store_true",
                    help="experiment: gc.freeze() in the agenda/picker child once the menu is up "
                    "(not what the app does)")
    ap.add_argument("--profile", action="store_true", help="cProfile the agenda/picker child (inflates its times)")
    ap.add_argument("--prefix", help=argparse.SUPPRESS)
    ap.add_argument("--child-tui", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_tui:
        tui_child(args.child_tui, args.child_out, args.prefix, args.reps, args.profile, args.gc_freeze)
        return 0
    if args.quick:
        args.serials, args.items, args.big = 100_000, 1_000, 10_000
    if args.items < 2 or args.serials - args.big < args.items - 1:
        ap.error("need at least 2 items and one serial for each item besides the big one")

    import peewee
    import textual

    say("serialstock TUI benchmark")
    say(f"  command: {' '.join([Path(sys.executable).as_posix(), *sys.argv])}")
    say(f"  python {platform.python_version()}, textual {textual.__version__}, peewee {peewee.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {platform.platform()}")
    url, path, lay = prepare_db(args)

    # a real serial of a middle item, typed into the search one character at a time
    mid = args.items // 2
    prefix = args.prefix or lay.code(mid, min(42, lay.count[mid] - 1))

    say(f"  1. start to first screen: {args.runs} processes each (after one warm-up each) ...")
    st = None if args.skip_startup else bench_startup(url, args.runs)
    say(f"  2./3. agenda over {args.serials:,} serials, {len(prefix)} keystrokes ({prefix}), picker over "
        f"{args.big:,} ...")
    tui = run_tui_child(url, prefix, args.reps, args.profile, args.gc_freeze)

    say("  baselines: raw sqlite3 ...")
    agenda_sql = capture_selects(url, status="in_stock")
    base_agenda, n_agenda = raw_time(path, agenda_sql)
    base_agenda_warm, _ = raw_time(path, agenda_sql, fresh=False)
    base_keys = [raw_time(path, capture_selects(url, status="in_stock", prefix=prefix[:k]))
                 for k in range(1, len(prefix) + 1)]
    last_sql = capture_selects(url, status="in_stock", descending=True)
    base_last, _ = raw_time(path, last_sql)
    with raw_conn(path) as c:  # a page deep in the list: after the 500,000th serial in stock
        deep = c.execute("SELECT code, id FROM serial_number WHERE status = 'in_stock' ORDER BY code, id "
                         "LIMIT 1 OFFSET ?", (min(500_000, args.serials // 2),)).fetchone()
    base_deep, _ = raw_time(path, capture_selects(url, status="in_stock", after=tuple(deep)))
    picker_sql = capture_selects(url, item=BIG_ITEM, warehouse=BIG_WH)
    base_picker, n_picker = raw_time(path, picker_sql)
    base_picker_warm, _ = raw_time(path, picker_sql, fresh=False)
    plans = {
        "agenda": query_plan(path, agenda_sql),
        "prefix": query_plan(path, capture_selects(url, status="in_stock", prefix=prefix[:3])),
        "picker": query_plan(path, picker_sql),
    }

    # --- the table ---
    med = statistics.median
    ms = lambda s: f"{s * 1e3:.1f} ms"  # noqa: E731
    sec = lambda s: f"{s:.3f} s"  # noqa: E731
    mb = lambda v: f"{v:.0f} MB"  # noqa: E731
    rows = []

    def row(measure, ours, base, fmt, target, ok):
        ratio = f"{ours / base:.2f}x" if base else "-"
        rows.append((measure, fmt(ours), fmt(base) if base is not None else "-", ratio, target,
                     "-" if ok is None else ("yes" if ok else "NO")))

    if st is not None:
        for mode, key, label in (("pty", "visible", "pty: its text on the terminal"),
                                 ("headless", "frame", "headless: its first frame")):
            o, b = med(r[key] for r in st[("ours", mode)]), med(r[key] for r in st[("bare", mode)])
            row(f"start to first screen, {label} (median of {args.runs})", o, b, sec, "<= 1.3x bare", o <= 1.3 * b)
    push = tui["push"]
    mp = med(p["total"] for p in push[1:])
    row("agenda: push -> first rows painted, first open", push[0]["total"], base_agenda, sec, "< 0.5 s",
        push[0]["total"] < 0.5)
    row(f"agenda: push -> first rows painted, median of {args.reps} more", mp, base_agenda, sec, "< 0.5 s", mp < 0.5)
    keys = tui["keys"]
    worst = max(range(len(keys)), key=lambda i: keys[i]["work"])
    row(f"keystroke: reload() -> rows painted, worst of {len(keys)} ({keys[worst]['prefix']!r})",
        keys[worst]["work"], base_keys[worst][0], ms, "< 100 ms", keys[worst]["work"] < 0.1)
    mk = med(k["work"] for k in keys)
    row(f"keystroke: reload() -> rows painted, median of {len(keys)}", mk, med(b[0] for b in base_keys), ms,
        "< 100 ms", mk < 0.1)
    worst_raw = max(range(len(keys)), key=lambda i: keys[i]["raw"])
    row(f"keystroke: key -> rows painted, incl. 0.15 s debounce, worst ({keys[worst_raw]['prefix']!r})",
        keys[worst_raw]["raw"], base_keys[worst_raw][0], ms, "info (target: row above)", None)
    ce = tui["ctrl_end"]
    row(f"ctrl+End -> last row painted ({tui['last_position']}), worst of {len(ce)}", max(ce), base_last, sec,
        "< 0.3 s", max(ce) < 0.3)
    for key, label in (("pgdn_start", "PgDn from the start"), ("pgup_end", "PgUp from the end")):
        v = sorted(tui[key])
        moved = sorted(tui.get(f"{key}_moved") or [])
        if moved:
            row(f"{label}, {len(moved)} presses: key -> cursor painted, worst", moved[-1], base_deep, ms, "< 50 ms",
                moved[-1] < 0.05)
            row(f"{label}: key -> cursor painted, 95th percentile", moved[int(len(moved) * 0.95)], base_deep, ms,
                "< 50 ms", moved[int(len(moved) * 0.95)] < 0.05)
        row(f"{label}, {len(v)} presses: key -> painted with its read-ahead done, worst", v[-1], base_deep, ms,
            "< 50 ms", v[-1] < 0.05)
        row(f"{label}: key -> painted with its read-ahead done, median", med(v), base_deep, ms, "< 50 ms",
            med(v) < 0.05)
    dh = tui["down_held"]
    row(f"Down held 600 rows at 30/s across window edges: key -> frame, worst", max(dh), base_deep, ms,
        "< 100 ms (no freeze)", max(dh) < 0.1)
    sc = tui["scroll_100k"]
    row(f"RSS after PgDn through 100,000 rows ({sc['presses']} presses, {sc['held']} rows held)", sc["rss_mb"],
        None, mb, "< 150 MB", sc["rss_mb"] < 150)
    bare_rss = med(r["maxrss_mb"] for r in st[("bare", "headless")]) if st else None
    row(f"agenda process peak RSS (start, {args.reps + 1} agenda opens, keystrokes)", tui["maxrss_agenda_mb"], bare_rss, mb,
        "< 150 MB", tui["maxrss_agenda_mb"] < 150)
    pk = tui["picker"]
    mpk = med(p["total"] for p in pk[1:])
    row(f"picker ({args.big:,} in stock): push -> first rows painted, first open", pk[0]["total"], base_picker, sec,
        "< 0.3 s", pk[0]["total"] < 0.3)
    row(f"picker: push -> first rows painted, median of {args.reps} more", mpk, base_picker, sec, "< 0.3 s",
        mpk < 0.3)

    from bench_store import print_table

    print_table(rows)
    say("baselines: startup = a bare Textual App showing one Label, measured the same way in the same run, runs "
        "interleaved; agenda/keystroke/picker = raw sqlite3 on a new connection with the store's pragmas replaying the "
        "statements list_serials sends for the same first page (captured from peewee), fetching tuples "
        f"(median of 5; on an open connection: agenda {ms(base_agenda_warm)}, "
        f"picker {ms(base_picker_warm)}), for scale; memory = the bare app's process (headless run).")
    say("'painted' in 2./3. = the screen's call_after_refresh after the rows were put in the table has run, i.e. "
        "the frame with them was rendered and the screen went idle (an upper bound); the first frame rendered after "
        "the table was filled is in the detail ('frame').")

    def gc_note(e):
        n, took = e["gc"]
        return f"; {n} GC run(s), {took * 1e3:.1f} ms" if n else ""

    if st is not None:
        say("\ndetail: start to first screen, seconds from spawn, medians (visible: the first screen's text read "
            "from the pty; frame: its first frame handed to the driver; settled: call_after_refresh ran, the "
            "process then exits; imported: imports done (+ store.db.connect for ours); ended: process gone)")
        for (k, m), rs in st.items():
            cols = (["visible"] if m == "pty" else []) + ["frame", "settled", "imported", "ended"]
            say(f"  {k:4} {m:8} " + "  ".join(f"{c} {med(r[c] for r in rs):.3f}" for c in cols)
                + f"  peak RSS {med(r['maxrss_mb'] for r in rs):.0f} MB  (runs: "
                + ", ".join(f"{r[cols[0]]:.3f}" for r in rs) + ")")
    say("\ndetail: agenda opens, ms from push_screen: reload() / fetch start / fetch end / table filled / "
        "first frame after / painted")
    for i, p in enumerate(push):
        say(f"  {'first' if i == 0 else f'rep {i}':6} {p['reload'] * 1e3:6.1f} {p['fetch_start'] * 1e3:6.1f} "
            f"{p['fetch_end'] * 1e3:6.1f} {p['shown'] * 1e3:6.1f} {p['frame'] * 1e3:6.1f} {p['total'] * 1e3:6.1f}"
            f"   ({p['rows']} rows, first {p['first']}){gc_note(p)}")
    say("\ndetail: keystrokes, ms: raw = key -> painted = debounce (key -> reload()) + work (reload() -> painted); "
        "work = reload -> fetch start + fetch (list_serials in the worker) + fetch end -> table filled + -> painted; "
        "frame = reload() -> first frame after the table was filled")
    for k, b in zip(keys, base_keys):
        say(f"  {k['prefix']:12} raw {k['raw'] * 1e3:6.1f} = {k['debounce'] * 1e3:5.1f} + {k['work'] * 1e3:5.1f}; "
            f"work = {k['reload_to_fetch'] * 1e3:4.1f} + {k['fetch'] * 1e3:4.1f} + {k['fetch_to_shown'] * 1e3:4.1f} "
            f"+ {k['shown_to_painted'] * 1e3:5.1f}; frame {k['frame'] * 1e3:5.1f}; rows {k['rows']:3}; "
            f"raw sqlite3 {b[0] * 1e3:4.1f}{gc_note(k)}"
            f"{'; the 5 s auto-refresh fired meanwhile' if k['refresh'] else ''}")
    say("\ndetail: picker opens, ms from push_screen: load() / data arrived / table filled / first frame after / "
        "painted")
    for i, p in enumerate(pk):
        say(f"  {'first' if i == 0 else f'rep {i}':6} {p['reload'] * 1e3:6.1f} {p['data'] * 1e3:6.1f} "
            f"{p['shown'] * 1e3:6.1f} {p['frame'] * 1e3:6.1f} {p['total'] * 1e3:6.1f}   ({p['rows']} rows)"
            f"{gc_note(p)}")
    say(f"\npeak RSS of the agenda/picker process (VmHWM): {tui['maxrss_agenda_mb']:.0f} MB after the agenda part, "
        f"{tui['maxrss_end_mb']:.0f} MB at the end; its ru_maxrss after the agenda part: "
        f"{tui['ru_maxrss_agenda_mb']:.0f} MB (Linux counts the parent's RSS at fork in a child's ru_maxrss; this "
        f"process is at {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    say("query plans of list_serials' page query (no ANALYZE: the store never runs it):")
    for k, v in plans.items():
        say(f"  {k}: {v}")
    if args.gc_freeze:
        say("\nNOTE: --gc-freeze was on: the agenda/picker child called gc.freeze() once the menu was up, which the "
            "app does not do; the figures show what that would change.")
    if args.profile:
        say("\nNOTE: --profile was on; the agenda/picker figures above are inflated by cProfile.")
        say(tui["profile"])

    if not args.keep:
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(str(path) + suffix)
            if p.exists():
                p.unlink()
    return 1 if any(r[-1] == "NO" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
