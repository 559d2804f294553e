"""Officials' accounts: argon2 hashes, lockout, sessions, roles and the audit trail."""
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from bot.officials import Officials, OfficialsError

PW = "a long enough password"


@pytest.fixture
def clock():
    now = [datetime(2021, 8, 1, 8, 0, tzinfo=timezone.utc)]
    return now


@pytest.fixture
def store(tmp_path, clock):
    return Officials(tmp_path / "officials.db", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
                     clock=lambda: clock[0])


def test_passwords_are_stored_only_as_argon2_hashes(store, tmp_path):
    store.add("lan", "reviewer", PW, "cli:root")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert PW.encode() not in raw
    assert b"$argon2id$" in raw
    assert store.login("lan", PW).official.name == "lan"
    assert store.login("lan", PW + "x").official is None


def test_add_list_remove_passwd_and_role(store):
    store.add("lan", "reviewer", PW, "cli")
    store.add("minh", "admin", PW, "cli")
    assert [(o.name, o.role) for o in store.list()] == [("lan", "reviewer"), ("minh", "admin")]
    with pytest.raises(OfficialsError, match="already exists"):
        store.add("lan", "editor", PW, "cli")
    store.set_role("lan", "editor", "minh")
    assert store.get("lan").can("editor") and not store.get("lan").can("admin")
    store.passwd("lan", "another long password", "minh")
    assert store.login("lan", PW).official is None
    assert store.login("lan", "another long password").official is not None
    store.remove("lan", "minh")
    assert store.get("lan") is None
    with pytest.raises(OfficialsError):
        store.remove("lan", "minh")


@pytest.mark.parametrize("name, role, password", [
    ("Lan Anh", "reviewer", PW), ("x", "reviewer", PW), ("lan", "boss", PW), ("lan", "reviewer", "short")])
def test_bad_accounts_are_refused_with_a_reason_in_both_languages(store, name, role, password):
    with pytest.raises(OfficialsError) as e:
        store.add(name, role, password, "cli")
    assert str(e.value) and e.value.vi
    assert store.list() == []


def test_the_last_admin_cannot_be_removed_or_demoted(store):
    store.add("minh", "admin", PW, "cli")
    with pytest.raises(OfficialsError, match="last admin"):
        store.remove("minh", "cli")
    with pytest.raises(OfficialsError, match="last admin"):
        store.set_role("minh", "editor", "cli")
    store.add("hoa", "admin", PW, "cli")
    store.remove("minh", "hoa")
    assert [o.name for o in store.list()] == ["hoa"]


def test_five_failures_lock_the_account_for_fifteen_minutes(store, clock):
    store.add("lan", "reviewer", PW, "cli")
    for i in range(4):
        r = store.login("lan", "wrong")
        assert r.official is None and not r.locked
    assert store.login("lan", "wrong").locked
    assert store.login("lan", PW).official is None  # locked: the right password is refused too
    clock[0] += timedelta(minutes=15, seconds=1)
    assert store.login("lan", PW).official is not None
    for _ in range(4):  # the count starts afresh after a lockout and after a success
        store.login("lan", "wrong")
    assert store.login("lan", PW).official is not None


def test_unlock_lifts_a_lockout(store):
    store.add("lan", "reviewer", PW, "cli")
    for _ in range(5):
        store.login("lan", "wrong")
    store.unlock("lan", "admin1")
    assert store.login("lan", PW).official is not None


def test_sessions_expire_and_end_with_a_new_password_or_removal(store, clock):
    store.add("lan", "reviewer", PW, "cli")
    store.add("minh", "admin", PW, "cli")
    sid = store.open_session("lan")
    assert store.session(sid).name == "lan"
    assert store.session("made-up") is None
    clock[0] += timedelta(hours=13)
    assert store.session(sid) is None
    sid = store.open_session("lan")
    store.passwd("lan", "another long password", "minh")
    assert store.session(sid) is None
    sid = store.open_session("lan")
    store.remove("lan", "minh")
    assert store.session(sid) is None


def test_every_action_is_recorded_with_who_and_when(store, clock):
    store.add("lan", "reviewer", PW, "cli:root")
    store.login("lan", "wrong")
    store.login("nobody", "typed-password-in-the-name-field")
    store.login("lan", PW)
    store.record("lan", "review.verdict", "abc123", "correct")
    rows = store.audit()[::-1]
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("cli:root", "account.add"), ("lan", "login.failed"), ("?", "login.unknown"), ("lan", "login.ok"),
        ("lan", "review.verdict")]
    assert all(r["at"] == clock[0].isoformat(timespec="seconds") for r in rows)
    assert not any("typed-password" in str(v) for r in rows for v in r.values())
