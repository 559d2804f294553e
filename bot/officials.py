"""Officials' accounts and the audit trail of everything they do, in their own SQLite file.

Roles are ordered: a reviewer judges answers; an editor also edits the FAQ and rebuilds the
index; an admin also manages accounts. Passwords are stored only as argon2id hashes. After
MAX_FAILURES wrong passwords in a row an account is locked for LOCKOUT, and while locked even the
right password is refused, so guessing runs at five tries per quarter hour. Every change and every
login attempt goes to the `audit` table with who and when.
"""
from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("reviewer", "editor", "admin")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")


class OfficialsError(ValueError):
    """A request the accounts store refuses: the message in English for the command line, `vi`
    for the console."""

    def __init__(self, message: str, vi: str):
        super().__init__(message)
        self.vi = vi


@dataclass(frozen=True)
class Official:
    name: str
    role: str
    created_at: str
    failures: int = 0
    locked_until: str | None = None

    def can(self, role: str) -> bool:
        """Whether this official has at least `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class LoginResult:
    official: Official | None  # set only when the password was right and the account not locked
    locked: bool = False


def default_path() -> Path:
    return Path(os.environ.get("RULEBOT_OFFICIALS") or "var/officials.db")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


class Officials:
    """The accounts file. Each call opens its own connection, so any thread may use one store."""

    def __init__(self, path: str | Path, hasher: PasswordHasher | None = None, clock=_now):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._hasher = hasher or PasswordHasher()
        self._clock = clock
        self._lock = threading.Lock()  # one login check at a time per process: counts stay exact
        with self._db() as db:
            db.executescript("""
                create table if not exists officials (
                    name text primary key, role text not null, hash text not null,
                    created_at text not null, failures integer not null default 0, locked_until text);
                create table if not exists sessions (
                    id text primary key, name text not null, created_at text not null,
                    expires_at text not null);
                create table if not exists audit (
                    id integer primary key autoincrement, at text not null, actor text not null,
                    action text not null, target text, detail text);
                create index if not exists audit_at on audit(at);
            """)
        self._dummy = self._hasher.hash("not a password of anyone")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            db.execute("pragma journal_mode = wal")
            with db:
                yield db
        finally:
            db.close()

    # --- accounts --------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, actor: str) -> Official:
        name = self._check_name(name)
        self._check_role(role)
        self._check_password(password)
        with self._db() as db:
            try:
                db.execute("insert into officials (name, role, hash, created_at) values (?, ?, ?, ?)",
                           (name, role, self._hasher.hash(password), _iso(self._clock())))
            except sqlite3.IntegrityError:
                raise OfficialsError(f"an account named '{name}' already exists",
                                     f"Đã có tài khoản tên “{name}”.") from None
            self._audit(db, actor, "account.add", name, f"role={role}")
        return self.get(name)

    def remove(self, name: str, actor: str) -> None:
        with self._db() as db:
            self._keep_an_admin(db, name)
            if not db.execute("delete from officials where name = ?", (name,)).rowcount:
                raise OfficialsError(f"no account named '{name}'", f"Không có tài khoản “{name}”.")
            db.execute("delete from sessions where name = ?", (name,))
            self._audit(db, actor, "account.remove", name)

    def passwd(self, name: str, password: str, actor: str) -> None:
        self._check_password(password)
        with self._db() as db:
            cur = db.execute("update officials set hash = ?, failures = 0, locked_until = null "
                             "where name = ?", (self._hasher.hash(password), name))
            if not cur.rowcount:
                raise OfficialsError(f"no account named '{name}'", f"Không có tài khoản “{name}”.")
            db.execute("delete from sessions where name = ?", (name,))  # log out everywhere
            self._audit(db, actor, "account.passwd", name)

    def set_role(self, name: str, role: str, actor: str) -> None:
        self._check_role(role)
        with self._db() as db:
            if role != "admin":
                self._keep_an_admin(db, name)
            if not db.execute("update officials set role = ? where name = ?", (role, name)).rowcount:
                raise OfficialsError(f"no account named '{name}'", f"Không có tài khoản “{name}”.")
            self._audit(db, actor, "account.role", name, f"role={role}")

    def unlock(self, name: str, actor: str) -> None:
        with self._db() as db:
            db.execute("update officials set failures = 0, locked_until = null where name = ?", (name,))
            self._audit(db, actor, "account.unlock", name)

    def get(self, name: str) -> Official | None:
        with self._db() as db:
            row = db.execute("select * from officials where name = ?", (name,)).fetchone()
        return _official(row) if row else None

    def list(self) -> list[Official]:
        with self._db() as db:
            return [_official(r) for r in db.execute("select * from officials order by name")]

    # --- logging in ------------------------------------------------------------------------

    def login(self, name: str, password: str) -> LoginResult:
        """Check a password. Unknown names cost the same hashing time as known ones."""
        with self._lock, self._db() as db:
            row = db.execute("select * from officials where name = ?", (name,)).fetchone()
            now = self._clock()
            if row is None:
                self._verify(self._dummy, password)
                self._audit(db, "?", "login.unknown", None)  # the name typed may be a password
                return LoginResult(None)
            locked = row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now
            if locked:
                self._verify(self._dummy, password)
                self._audit(db, row["name"], "login.locked", row["name"])
                return LoginResult(None, locked=True)
            failures = 0 if row["locked_until"] else row["failures"]  # a served lockout starts afresh
            if not self._verify(row["hash"], password):
                failures += 1
                until = _iso(now + LOCKOUT) if failures >= MAX_FAILURES else None
                db.execute("update officials set failures = ?, locked_until = ? where name = ?",
                           (0 if until else failures, until, row["name"]))
                self._audit(db, row["name"], "login.failed", row["name"],
                            f"locked until {until}" if until else f"failure {failures}")
                return LoginResult(None, locked=bool(until))
            db.execute("update officials set failures = 0, locked_until = null where name = ?", (row["name"],))
            if self._hasher.check_needs_rehash(row["hash"]):
                db.execute("update officials set hash = ? where name = ?",
                           (self._hasher.hash(password), row["name"]))
            self._audit(db, row["name"], "login.ok", row["name"])
            row = db.execute("select * from officials where name = ?", (row["name"],)).fetchone()
            return LoginResult(_official(row))

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # --- sessions: server-side, so logging out or a new password ends them for good ---------

    def open_session(self, name: str, lifetime: timedelta = timedelta(hours=12)) -> str:
        sid = secrets.token_urlsafe(32)
        now = self._clock()
        with self._db() as db:
            db.execute("delete from sessions where expires_at < ?", (_iso(now),))
            db.execute("insert into sessions (id, name, created_at, expires_at) values (?, ?, ?, ?)",
                       (sid, name, _iso(now), _iso(now + lifetime)))
        return sid

    def session(self, sid: str) -> Official | None:
        """The official a live session belongs to; None when unknown, expired or revoked."""
        if not sid:
            return None
        with self._db() as db:
            row = db.execute("select o.* from sessions s join officials o on o.name = s.name "
                             "where s.id = ? and s.expires_at > ?", (sid, _iso(self._clock()))).fetchone()
        return _official(row) if row else None

    def close_session(self, sid: str) -> None:
        with self._db() as db:
            db.execute("delete from sessions where id = ?", (sid,))

    # --- audit -----------------------------------------------------------------------------

    def record(self, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
        """Write one line of the audit trail (reviews, FAQ edits, rebuilds, logouts)."""
        with self._db() as db:
            self._audit(db, actor, action, target, detail)

    def audit(self, limit: int = 200, actor: str | None = None) -> list[dict]:
        with self._db() as db:
            sql = "select * from audit" + (" where actor = ?" if actor else "") + " order by id desc limit ?"
            return [dict(r) for r in db.execute(sql, ((actor,) if actor else ()) + (limit,))]

    def _audit(self, db: sqlite3.Connection, actor: str, action: str, target: str | None,
               detail: str | None = None) -> None:
        db.execute("insert into audit (at, actor, action, target, detail) values (?, ?, ?, ?, ?)",
                   (_iso(self._clock()), actor, action, target, detail))

    # --- checks ----------------------------------------------------------------------------

    @staticmethod
    def _keep_an_admin(db: sqlite3.Connection, name: str) -> None:
        """Nobody could manage accounts from the console any more."""
        admins = [r[0] for r in db.execute("select name from officials where role = 'admin'")]
        if admins == [name]:
            raise OfficialsError(f"'{name}' is the last admin; make another admin first",
                                 f"“{name}” là quản trị viên cuối cùng; hãy cấp quyền quản trị cho người khác trước.")

    @staticmethod
    def _check_name(name: str) -> str:
        if not _NAME.fullmatch(name or ""):
            raise OfficialsError("a name is 2 to 32 characters: lower-case letters, digits, '.', '_' "
                                 "or '-', starting with a letter or digit",
                                 "Tên đăng nhập dài 2–32 ký tự, gồm chữ thường không dấu, chữ số, "
                                 "“.”, “_” hoặc “-”.")
        return name

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise OfficialsError(f"role must be one of {', '.join(ROLES)}", "Vai trò không hợp lệ.")

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password or "") < MIN_PASSWORD:
            raise OfficialsError(f"a password needs at least {MIN_PASSWORD} characters",
                                 f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")


def _official(row: sqlite3.Row) -> Official:
    return Official(name=row["name"], role=row["role"], created_at=row["created_at"],
                    failures=row["failures"], locked_until=row["locked_until"])
