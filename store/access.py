"""Whether this process can write an SQLite database and the side files SQLite keeps next to it,
checked before the app starts (so that an operator is refused at once, in one sentence, not at the
first save); and a new database file made shareable in a shared directory.

SQLite in WAL mode keeps `<db>-wal` and `<db>-shm` next to the database, creates them when the first
connection opens and deletes them when the last one closes, so every operator's process creates them
in turn. SQLite gives them the database file's permission bits (whatever the umask) and the creating
process's group, or the directory's group when the directory is setgid. Several OS accounts can
therefore share one file when the directory is setgid to their common group, group-writable, and the
database file is group-writable (README "On the floor").

Standard library only: the command line calls this before the app, without importing peewee.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from .errors import DatabaseError

SIDE_FILES = ("-wal", "-shm")
RECIPE = 'see README "On the floor": a setgid directory (chmod 2775) of the operators\' group, the database ' \
         "file group-writable, umask 002"


def _owner(path: Path) -> str:
    import grp
    import pwd

    st = path.stat()
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"owner {user}, group {group}, mode {stat.S_IMODE(st.st_mode):04o}"


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def is_shared_directory(directory: Path) -> bool:
    """A setgid directory: files made in it belong to its group, meant for sharing."""
    try:
        return bool(directory.stat().st_mode & stat.S_ISGID)
    except OSError:
        return False


def prepare_sqlite_file(path: str | os.PathLike) -> None:
    """Create a new database file in a setgid directory group-writable, whatever the umask.

    The database file is the only one whose mode the umask decides: SQLite gives its side files the
    database file's mode. An operator who starts the first session from a shell with umask 022 would
    otherwise make a file, and side files, that no other operator can write. The process's umask is
    left alone (exported workbooks and the like keep the operator's own umask)."""
    p = Path(path).expanduser()
    if p.exists() or not is_shared_directory(p.parent):
        return
    mask = os.umask(0)
    os.umask(mask)
    mode = (0o666 & ~mask) | 0o660  # the owner and group read and write; others as the umask says
    try:
        fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    except FileExistsError:
        return  # another operator's process made it a moment ago
    except OSError:
        return  # check_sqlite_writable says why
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def sqlite_user_roles(path: str | os.PathLike) -> dict[str, str]:
    """The login users of an SQLite database and their roles (store.users), read without peewee so that
    the command can refuse a login that is not a user before the app starts; {} when there are none, no
    such table (an older schema, upgraded when opened) or no file yet."""
    p = Path(path).expanduser()
    if not p.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return {}
    try:
        return dict(con.execute("SELECT name, role FROM app_user").fetchall())
    except sqlite3.Error:
        return {}  # no table yet: the app's own check (store.users) runs once the schema is up to date
    finally:
        con.close()


def check_sqlite_writable(path: str | os.PathLike) -> None:
    """DatabaseError, in one sentence saying what to change, unless this process can write the database
    file, its -wal and -shm files, and the directory they are made in (see _check)."""
    try:
        _check(Path(path).expanduser().absolute())
    except PermissionError as exc:  # a directory on the way that this account may not enter
        raise DatabaseError(f"cannot reach the database {path}: {exc.strerror} ({exc.filename}).") from exc


def _check(p: Path) -> None:
    """The directory, the files' permissions, a group-shared file outside a setgid directory, then a
    write inside a transaction that is rolled back (a read-only file system or a file opened read-only
    shows there)."""
    directory = p.parent
    if not directory.exists():
        base = _existing_ancestor(directory)
        if not os.access(base, os.W_OK | os.X_OK):
            raise DatabaseError(f"cannot create the database directory {directory}: {base} is not writable "
                                f"by this account ({_owner(base)}).")
        return
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseError(f"cannot write in {directory} ({_owner(directory)}), where SQLite makes the database's "
                            f"-wal and -shm files; {RECIPE}.")
    if not p.exists():
        return
    for f in [p] + [Path(str(p) + s) for s in SIDE_FILES]:
        if f.exists() and not os.access(f, os.R_OK | os.W_OK):
            raise DatabaseError(f"cannot write {f} ({_owner(f)}); {RECIPE}.")
    st = p.stat()
    if st.st_mode & stat.S_IWGRP and st.st_gid != os.getegid() and not is_shared_directory(directory):
        # shared through a group, in a directory that is not setgid: the side files this process makes
        # would get its own group, and lock the other operators out until the last session closes
        raise DatabaseError(f"the database {p} is shared through its group ({_owner(p)}) but its directory "
                            f"{directory} is not setgid, so the -wal and -shm files would get each operator's "
                            f"own group and lock the others out; chmod g+s {directory} ({RECIPE}).")
    try:
        # a short wait: another process writing for longer proves the file takes writes, and the operator
        # should not wait at a blank screen for it
        con = sqlite3.connect(str(p), timeout=2, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the database {p}: {exc}.") from exc
    try:
        con.execute("BEGIN IMMEDIATE")
        has_setting = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'setting'").fetchone()
        if has_setting:
            con.execute("UPDATE setting SET value = value WHERE key = 'schema_version'")
        else:
            con.execute("CREATE TABLE serialstock_write_probe (x)")
        con.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return  # another process is writing: it can be written
        raise DatabaseError(f"cannot write the database {p} ({exc}); {RECIPE}.") from exc
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot use the database {p}: {exc}.") from exc
    finally:
        con.close()
