"""Which database: resolving the URL, without importing peewee (the command line decides early
whether the PostgreSQL driver needs loading at all)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import ParseResult, parse_qsl, unquote, urlparse

from .errors import DatabaseError


def default_sqlite_path() -> Path:
    """Where the embedded SQLite database lives by default: $XDG_DATA_HOME/serialstock/serialstock.db
    (XDG_DATA_HOME defaults to ~/.local/share, per the XDG Base Directory Specification).
    """
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "serialstock" / "serialstock.db"


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $SERIALSTOCK_DB, else the default SQLite file."""
    if url:
        return url
    env = os.environ.get("SERIALSTOCK_DB")
    if env:
        return env
    return "sqlite:///" + str(default_sqlite_path())


def is_postgres_url(url: str) -> bool:
    """True for a postgresql:// or postgres:// URL (any case)."""
    return url.split("://", 1)[0].lower() in ("postgresql", "postgres") if "://" in url else False


def parse_url(url: str) -> tuple[str, str | ParseResult]:
    """("sqlite", file path) or ("postgresql", the parsed URL); DatabaseError, saying what to write
    instead, for a URL that would surprise. Cheap: the command line checks the URL before the app starts."""
    if "://" not in url:
        return "sqlite", _sqlite_path(url)
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///rel.db -> netloc '' path '/rel.db'; sqlite:////abs.db -> path '//abs.db'
        if parsed.query or url.endswith("?"):
            raise DatabaseError(
                f"Bad SQLite URL {_without_password(url)!r}: an SQLite URL takes no ?parameters "
                f"({parsed.query or 'an empty one'}); give the file alone."
            )
        if parsed.netloc:
            raise DatabaseError(
                f"Bad SQLite URL {url!r}: use sqlite:///relative.db (three slashes) "
                "or sqlite:////absolute/path.db (four slashes)."
            )
        path = unquote(parsed.path[1:])
        if not path:
            raise DatabaseError(f"Bad SQLite URL {url!r}: it names no file.")
        return "sqlite", _sqlite_path(path)
    if scheme in ("postgresql", "postgres"):
        if not parsed.path or parsed.path == "/":
            raise DatabaseError(f"Bad PostgreSQL URL {_without_password(url)!r}: it names no database "
                                "(postgresql://user@host/dbname).")
        postgres_options(url)  # refused now, in one sentence, if a parameter is unknown or ill-formed
        return "postgresql", parsed
    raise DatabaseError(f"Unknown database URL {url!r}: use sqlite:///file.db or postgresql://user@host/dbname.")


def _sqlite_path(path: str) -> str:
    if path == ":memory:" or path.startswith("file::memory"):
        raise DatabaseError("An in-memory database is not supported: every screen and worker needs the same file.")
    return path


# libpq connection parameters a URL may carry (https://www.postgresql.org/docs/current/libpq-connect.html
# #LIBPQ-PARAMKEYWORDS), minus those the URL itself says (host, port, dbname, user, password); each is
# handed to the driver as it is. The values of a few are checked here, where a typo is cheap to name.
POSTGRES_PARAMETERS = frozenset("""
    application_name fallback_application_name connect_timeout client_encoding options keepalives keepalives_idle
    keepalives_interval keepalives_count tcp_user_timeout replication gssencmode sslmode sslnegotiation
    sslcompression sslcert sslkey sslkeylogfile sslpassword sslcertmode sslrootcert sslcrl sslcrldir sslsni
    requirepeer ssl_min_protocol_version ssl_max_protocol_version krbsrvname gsslib gssdelegation
    target_session_attrs load_balance_hosts hostaddr passfile require_auth channel_binding service
""".split())
_CHOICES = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary", "standby", "prefer-standby"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "load_balance_hosts": ("disable", "random"),
}
_WHOLE = ("connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
          "tcp_user_timeout")


def postgres_options(url: str) -> dict[str, str]:
    """The connection parameters in a PostgreSQL URL's query (``?sslmode=require&connect_timeout=3``), as
    {name: value} for the driver. DatabaseError, in one sentence, for one that libpq does not know, one
    given twice or without a value, an ill-formed query, or a value that cannot be right (an sslmode
    that does not exist, a timeout that is not a whole number of seconds)."""
    query = urlparse(url).query
    shown = _without_password(url)
    if not query:
        return {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise DatabaseError(f"Bad PostgreSQL URL {shown!r}: its parameters {query!r} are not name=value pairs "
                            "joined by & (e.g. ?sslmode=require&connect_timeout=3).") from None
    options: dict[str, str] = {}
    for name, value in pairs:
        if name not in POSTGRES_PARAMETERS:
            raise DatabaseError(f"Bad PostgreSQL URL {shown!r}: unknown parameter {name!r}; give libpq's own "
                                "names, such as sslmode, connect_timeout, application_name, sslrootcert.")
        if name in options:
            raise DatabaseError(f"Bad PostgreSQL URL {shown!r}: the parameter {name!r} is given twice.")
        if value == "":
            raise DatabaseError(f"Bad PostgreSQL URL {shown!r}: the parameter {name!r} has no value.")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise DatabaseError(f"Bad PostgreSQL URL {shown!r}: {name}={value} is not one of "
                                f"{', '.join(_CHOICES[name])}.")
        if name in _WHOLE and not (value.isascii() and value.isdigit()):
            raise DatabaseError(f"Bad PostgreSQL URL {shown!r}: {name} must be a whole number "
                                f"(seconds or a count), not {value!r}.")
        options[name] = value
    return options


def _without_password(url: str) -> str:
    """The URL as it may be shown: its password, if any, as ***."""
    parsed = urlparse(url)
    return url.replace(f":{parsed.password}@", ":***@", 1) if parsed.password else url
