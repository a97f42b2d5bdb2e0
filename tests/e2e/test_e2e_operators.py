"""Several operators on one host (issue 11): a draft that survives a hang-up, two operators taking the
same serial, and two real OS accounts sharing one SQLite file as README "On the floor" sets it up."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from .term import Term

ROOT = Path(__file__).resolve().parents[2]


# --- steps an operator takes ----------------------------------------------------------------------

def at_menu(t: Term) -> None:
    t.wait_for("Serial Numbers")
    t.settle()


def new_document_line(t: Term, kind_key: str, item: str, qty: int) -> None:
    """From the menu: Goods Receipts/Issues, F4 New, the kind (1 receipt, 2 issue), the item's barcode
    scanned and the quantity typed: the serial form of that line opens."""
    t.press("2")
    t.wait_for("Goods Receipts/Issues")
    t.settle(quiet=0.15)
    t.press("f4")
    t.wait_for("Goods issue")
    t.press(kind_key)
    t.wait_for("Scan item")
    t.settle(quiet=0.15)
    t.scan(item)
    t.wait_for("Quantity")
    t.settle(quiet=0.15)
    t.type(str(qty))
    t.press("enter")
    t.wait_for(f"short {qty}")
    t.settle(quiet=0.15)


def save(t: Term) -> None:
    t.press("f10")  # the serial form: done
    t.wait_for("Save")
    t.settle()
    t.press("ctrl+s")


def resume_the_draft(t: Term) -> None:
    """Answer the question about an unsaved draft with "resume": r (the new question), else y (today's)."""
    t.press("r")
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline and "unsaved" in t.text():
        time.sleep(0.05)
    if "unsaved" in t.text():
        t.press("y")
    t.wait_for("unsaved", gone=True)


def drafts_in(path: Path) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT operator, kind, payload FROM draft ORDER BY id").fetchall()
    finally:
        con.close()


def _heartbeat(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT heartbeat_at FROM draft").fetchone()[0]
    finally:
        con.close()


# --- a hang-up ------------------------------------------------------------------------------------

def test_draft_recovery_after_a_hang_up(run_app, db_file):
    """SIGHUP (a dropped SSH connection) while serials are being scanned into a new goods receipt; the
    next start offers the draft with every serial, and saving it works."""
    t = run_app(db_file, cols=40, rows=16)
    at_menu(t)
    new_document_line(t, "1", "PHONE-X", 4)
    for code in ("R-101", "R-102", "R-103"):
        t.scan(code)
    t.wait_for("3/4 short 1")
    t.settle(quiet=0.5)  # the draft is written off the event loop as each serial arrives
    t.hangup()
    t.wait_exit(10)
    assert not t.alive(), "the app outlived the hang-up"

    t2 = run_app(db_file, cols=40, rows=16)
    t2.wait_for("unsaved", timeout=15)
    t2.wait_for_words("new goods receipt: 1 line(s), 3 serial(s)")
    resume_the_draft(t2)
    t2.wait_for("Resumed the draft")
    t2.press("f6")
    t2.wait_for("3/4 short 1")
    for code in ("R-101", "R-102", "R-103"):
        assert t2.row_with(code) is not None, t2.dump()
    t2.scan("R-104")
    t2.wait_for("4/4 complete")
    save(t2)
    t2.wait_for("Saved GR-")
    t2.settle(quiet=0.5)
    assert drafts_in(db_file) == []


def test_a_draft_open_in_another_live_session_is_not_offered(run_app, db_file):
    """The same operator logged in twice: the second session does not offer the first one's open
    document as an abandoned draft; once the first session is gone, the next start offers it."""
    first = run_app(db_file, cols=40, rows=16)
    at_menu(first)
    new_document_line(first, "1", "PHONE-X", 2)
    first.scan("L-1")
    first.wait_for("1/2 short 1")
    first.settle(quiet=0.5)
    assert len(drafts_in(db_file)) == 1

    second = run_app(db_file, cols=40, rows=16)
    at_menu(second)
    second.settle(quiet=1.0)  # the question would come up within this
    assert "unsaved" not in second.text(), second.dump()

    # the open document refreshes its heartbeat (every 5 s) while nothing else is written
    before = _heartbeat(db_file)
    deadline = time.monotonic() + 12
    while _heartbeat(db_file) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _heartbeat(db_file) > before

    first.kill()
    third = run_app(db_file, cols=40, rows=16)
    third.wait_for("unsaved", timeout=15)
    third.wait_for_words("new goods receipt: 1 line(s), 1 serial(s)")


# --- two operators, one serial --------------------------------------------------------------------

def test_two_operators_issue_the_same_serial(run_app, db_file):
    """Two terminals pick the same serial to issue; the first save wins, the second is refused naming
    the serial and the document that took it, and nothing of it is saved."""
    anna = run_app(db_file, cols=80, rows=24, operator="anna")
    bob = run_app(db_file, cols=80, rows=24, operator="bob")
    for t in (anna, bob):
        at_menu(t)
        new_document_line(t, "2", "PHONE-X", 1)
        t.scan("P-005")
        t.wait_for("1/1 complete")
    save(anna)
    shown = anna.wait_for(re.compile(r"Saved (GI-\d{4}-\d{4})"))
    taken_by = re.search(r"Saved (GI-\d{4}-\d{4})", shown).group(1)
    save(bob)
    bob.wait_for_words(f"serial P-005 was issued by {taken_by}")
    assert "Saved" not in bob.text()
    # the serial anna took is off bob's line: its count is short again, and his picker says by what
    bob.wait_for("0/1 !")
    bob.press("f6")
    bob.wait_for("0/1 short 1")
    bob.press("ctrl+l")
    bob.wait_for_words(f"Taken off this line")
    bob.wait_for_words(f"P-005 was issued by {taken_by}")
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        issues = con.execute("SELECT number, operator FROM document WHERE kind = 'issue'").fetchall()
    finally:
        con.close()
    assert issues == [(taken_by, "anna")]


PG_URL = os.environ.get("SERIALSTOCK_TEST_PG")

_PG_OPERATOR = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from store import db as dbm
    from store.documents import DocumentIn, LineIn, save_document
    from store.errors import Refusal
    url, name, go = sys.argv[1:4]
    dbm.connect(url)
    doc = DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["P-005"])])
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    try:
        print("saved", save_document(doc, operator=name).number, flush=True)
    except Refusal as r:
        problems = getattr(r, "problems", None) or [r]
        print("refused", ";".join(f"{p.serial} {p.document}" for p in problems), "|", " ".join(str(r).split()),
              flush=True)
""")


@pytest.mark.skipif(not PG_URL, reason="the PostgreSQL run needs SERIALSTOCK_TEST_PG=postgresql://user@host/db")
def test_two_operators_issue_the_same_serial_on_postgresql(tmp_path):
    """The same conflict through the store, on PostgreSQL: two operators' processes save the same serial
    at the same moment; one saves, the other is refused naming the serial and the winner's document."""
    from store import catalog
    from store import db as dbm
    from store.documents import DocumentIn, LineIn, save_document
    from tests.conftest import _reset_postgres

    _reset_postgres(PG_URL)
    dbm.connect(PG_URL)
    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90")
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 3, None, ["P-004", "P-005", "P-006"])]), operator="seed")
    dbm.db.close()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _PG_OPERATOR, PG_URL, name, str(go)], stdout=subprocess.PIPE,
                              text=True, env=env, cwd=str(ROOT)) for name in ("anna", "bob")]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        go.touch()
        results = [p.communicate(timeout=60)[0].strip() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    saved = [r for r in results if r.startswith("saved ")]
    refused = [r for r in results if r.startswith("refused ")]
    assert len(saved) == 1 and len(refused) == 1, results
    number = saved[0].split()[1]
    assert refused[0].startswith(f"refused P-005 {number} |"), results
    assert f"serial P-005 was issued by {number}" in refused[0]


# --- two real OS accounts on one SQLite file --------------------------------------------------------

def _root_skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "two real OS accounts need the suite to run as root (it creates and deletes them)"
    for tool in ("useradd", "groupadd", "userdel", "groupdel", "setpriv"):
        if shutil.which(tool) is None:
            return f"two real OS accounts need {tool}"
    if not Path(SYSTEM_PYTHON).exists():
        return f"the operators' venv is made from {SYSTEM_PYTHON}, which is missing"
    found = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                           text=True).stdout.strip()
    if found != str(tuple(sys.version_info[:2])):
        return f"{SYSTEM_PYTHON} is Python {found}, not the tests' {tuple(sys.version_info[:2])}"
    for top in (ROOT, Path(_site_packages())):
        for d in [top, *top.parents]:
            mode = d.stat().st_mode
            if not mode & stat.S_IROTH or not mode & stat.S_IXOTH:
                return f"the code is not readable by other accounts ({d})"
    return None


SYSTEM_PYTHON = "/usr/bin/python3"


def _site_packages() -> str:
    import sysconfig

    return sysconfig.get_paths()["purelib"]


class Floor:
    """README "On the floor" on this host: a group, two operator accounts each with a group of its own,
    a setgid directory of the group for the database, and the wrapper script."""

    def __init__(self) -> None:
        tag = f"{os.getpid() % 100000}"
        self.group = f"ssfl{tag}"
        self.users = [f"ssa{tag}", f"ssb{tag}"]
        self.base = Path(tempfile.mkdtemp(prefix="serialstock-floor-", dir="/tmp"))
        self.base.chmod(0o755)
        self.srv = self.base / "srv"
        self.db = self.srv / "stock.db"
        self.wrapper = self.base / "serialstock-floor"
        self.made_users: list[str] = []
        self.made_group = False
        self.holders: list[subprocess.Popen] = []

    def set_up(self, *, setgid: bool = True) -> None:
        subprocess.run(["groupadd", self.group], check=True)
        self.made_group = True
        for user in self.users:
            # a group of its own (as useradd makes by default), and the floor group besides
            subprocess.run(["useradd", "--no-create-home", "--user-group", "--groups", self.group,
                            "--shell", "/bin/sh", user], check=True)
            self.made_users.append(user)
            home = self.base / f"home-{user}"
            home.mkdir()
            shutil.chown(home, user, user)
        self.srv.mkdir()
        shutil.chown(self.srv, "root", self.group)
        self.srv.chmod(0o2775 if setgid else 0o775)
        self.make_venv()
        self.wrapper.write_text(textwrap.dedent(f"""\
            #!/bin/sh
            umask 002
            export SERIALSTOCK_DB=sqlite:///{self.db}
            export ESCDELAY=25
            exec {self.command} "$@"
            """))
        self.wrapper.chmod(0o755)

    def make_venv(self) -> None:
        """A venv the operator accounts can read, made from the system's Python (the tests' own venv may
        come from an interpreter under root's home), using the packages already installed for the tests."""
        venv = self.base / "venv"
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
        site = next((venv / "lib").glob("python3*/site-packages"))
        (site / "serialstock-tests.pth").write_text(
            f"import site; site.addsitedir({_site_packages()!r})\n{ROOT}\n")
        self.python = str(venv / "bin" / "python")
        self.command = venv / "bin" / "serialstock"
        self.command.write_text(f"#!{self.python}\nimport sys\nfrom serialstock.cli import main\nsys.exit(main())\n")
        self.command.chmod(0o755)

    def as_user(self, user: str, argv: list[str]) -> list[str]:
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"] + argv

    def env(self, user: str) -> dict:
        home = self.base / f"home-{user}"
        return {"USER": user, "LOGNAME": user, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_HOME": str(home / "config"),
                "PYTHONPATH": str(ROOT)}

    def seed(self, user: str) -> None:
        """The first operator makes the database from a shell of their own (umask 022, no wrapper)."""
        script = textwrap.dedent(f"""
            import os
            os.umask(0o022)
            from store import catalog
            from store import db as dbm
            from store.documents import DocumentIn, LineIn, save_document
            dbm.connect("sqlite:///{self.db}")
            catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90")
            catalog.create_item("TAB-9", "Tablet 9", tracked=True, price="299.00")
            save_document(DocumentIn("receipt", [LineIn("PHONE-X", 3, None, ["P-001", "P-002", "P-003"])]),
                          operator="{user}")
            dbm.db.close()
            """)
        subprocess.run(self.as_user(user, [self.python, "-c", script]), check=True, cwd=str(self.base),
                       env={**os.environ, **self.env(user)}, timeout=60)

    def hold_open(self, user: str) -> subprocess.Popen:
        """A process of ``user`` with the database open (as an operator's app has it during every read and
        write): the -wal and -shm files it made stay while it runs."""
        script = ("import sqlite3, sys, time\n"
                  f"c = sqlite3.connect({str(self.db)!r})\n"
                  "c.execute('SELECT count(*) FROM setting').fetchall()\n"
                  "print('open', flush=True)\n"
                  "time.sleep(600)\n")
        p = subprocess.Popen(self.as_user(user, [self.python, "-c", script]), stdout=subprocess.PIPE, text=True,
                             env={**os.environ, **self.env(user)}, cwd=str(self.base))
        self.holders.append(p)
        assert p.stdout.readline().strip() == "open"
        return p

    def term(self, user: str, *, cols: int = 40, rows: int = 16) -> Term:
        return Term([], cols=cols, rows=rows, env=self.env(user),
                    argv0=self.as_user(user, ["/bin/sh", str(self.wrapper)]))

    def tear_down(self) -> None:
        for p in self.holders:
            p.kill()
            p.wait()
        for user in self.made_users:
            subprocess.run(["userdel", user], capture_output=True)
            subprocess.run(["groupdel", user], capture_output=True)  # if userdel left it
        if self.made_group:
            subprocess.run(["groupdel", self.group], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def floor():
    reason = _root_skip_reason()
    if reason:
        pytest.skip(reason)
    f = Floor()
    terms: list[Term] = []
    f.terms = terms
    try:
        yield f
    finally:
        for t in terms:
            print(f"--- last screen of a terminal ({t.cols}x{t.rows}) ---\n{t.dump()}")
            t.close()
        f.tear_down()


def _group_and_mode(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_gid, stat.S_IMODE(st.st_mode)


def test_two_os_accounts_share_one_sqlite_file(floor):
    """The first operator's session keeps the database open (so the -wal and -shm files are theirs); the
    second operator scans into a receipt, its draft is written, and saves; then the first saves too."""
    floor.set_up()
    a, b = floor.users
    floor.seed(a)  # from a shell with umask 022: the file must still come out group-writable
    floor_gid = floor.srv.stat().st_gid
    assert _group_and_mode(floor.db) == (floor_gid, 0o664)

    ta = floor.term(a)
    floor.terms.append(ta)
    ta.wait_for(f"serialstock  {a}")
    at_menu(ta)
    new_document_line(ta, "1", "TAB-9", 1)
    ta.scan("TA-1")
    ta.wait_for("1/1 complete")
    ta.settle(quiet=0.5)
    floor.hold_open(a)  # the first operator has the database open when the second starts
    for side in ("stock.db-wal", "stock.db-shm"):
        assert _group_and_mode(floor.srv / side) == (floor_gid, 0o664), side

    tb = floor.term(b)
    floor.terms.append(tb)
    tb.wait_for(f"serialstock  {b}")
    at_menu(tb)
    new_document_line(tb, "1", "PHONE-X", 2)
    tb.scan("PB-1")
    tb.scan("PB-2")
    tb.wait_for("2/2 complete")
    tb.settle(quiet=0.5)
    drafts = {op: payload for op, _kind, payload in drafts_in(floor.db)}
    assert b in drafts and '"PB-1", "PB-2"' in drafts[b], drafts  # the second operator's draft is written
    assert "could not be kept" not in tb.text(), tb.dump()
    save(tb)
    tb.wait_for("Saved GR-")

    save(ta)
    ta.wait_for("Saved GR-")
    ta.settle(quiet=0.5)
    con = sqlite3.connect(f"file:{floor.db}?mode=ro", uri=True)
    try:
        saved = sorted(r[0] for r in con.execute("SELECT operator FROM document WHERE kind = 'receipt'"))
    finally:
        con.close()
    assert saved == sorted([a, a, b])
    assert drafts_in(floor.db) == []


def test_without_a_setgid_directory_the_second_operator_is_refused_at_start(floor):
    """The recipe as README gave it before (a group-writable directory, not setgid): while the first
    operator has the database open, its -wal and -shm files have that operator's own group; the second
    operator is told so at start, in one sentence, instead of failing at the first save."""
    floor.set_up(setgid=False)
    a, b = floor.users
    floor.seed(a)
    shutil.chown(floor.db, a, floor.group)
    floor.db.chmod(0o664)

    floor.hold_open(a)  # the first operator has the database open when the second starts
    assert (floor.srv / "stock.db-shm").exists()

    env = {**os.environ, **floor.env(b)}
    out = subprocess.run(floor.as_user(b, ["/bin/sh", str(floor.wrapper)]), capture_output=True, text=True,
                         env=env, timeout=30, stdin=subprocess.DEVNULL, cwd=str(floor.base))
    assert out.returncode == 2, out
    [line] = out.stderr.strip().splitlines()
    assert re.match(rf"serialstock: cannot write {re.escape(str(floor.srv))}/stock\.db-(wal|shm) "
                    rf"\(owner {a}, group {a}, mode 0664\); .*chmod 2775", line), line


def test_an_open_picker_unticks_a_serial_issued_meanwhile(run_app, db_file):
    """Bob's picker is open with P-006 picked; Anna issues P-006: within a refresh Bob's count is short
    again and his screen says who took it, before he tries to save."""
    from store import db as dbm
    from store.documents import DocumentIn, LineIn, save_document

    bob = run_app(db_file, cols=40, rows=16, operator="bob")
    at_menu(bob)
    new_document_line(bob, "2", "PHONE-X", 1)
    bob.scan("P-006")
    bob.wait_for("1/1 complete")
    # the pick is shown at once and checked in a worker; Anna acts once the check has passed (before it,
    # the scan itself is refused, naming the line - a CI run caught that race)
    bob.wait_for_words("Selected P-006")
    dbm.connect(f"sqlite:///{db_file}")
    taken = save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["P-006"])]), operator="anna")
    dbm.db.close()
    bob.wait_for("0/1 short 1", timeout=12)
    # on the status line itself, which serial (the walk: at 20x16 `Line 1 (PHONE-X):` had pushed it out)
    bob.wait_for_words("Taken off this line: serial P-006 was issued")
    bob.press("ctrl+l")
    bob.wait_for_words(f"P-006 was issued by {taken.number}")
