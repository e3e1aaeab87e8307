"""Privacy at rest, on both backends: with a data key nothing a client writes is readable in the
database files; /forget and the retention purge leave no readable trace (on SQLite not a byte
of it in the database, its WAL or its shared memory; on PostgreSQL the client's key is gone and
what was sealed with it no longer opens); keys rotate; backups restore."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, Text, select, type_coerce, update
from sqlmodel import Session

from dialogs import Conversation, FlowSet
from prompts import Renderer
from review.clients import search
from storage import Database
from storage.backup import BackupProblem, backup, restore
from storage.keyring import KeyProblem, KeyRing, new_key
from storage.models import Client, ClientKey, Goal, TranscriptEvent, utcnow
from storage.retention import purge_expired
from storage.rotation import rotate, sealed_columns
from tests.cli_runner import alongside
from tests.conftest import _empty_tables
from tests.harness import TestClient

KEY, NEXT_KEY = new_key(), new_key()


def ring(current: str | None = KEY, *retired: str) -> KeyRing:
    return KeyRing.from_settings(current, ",".join(retired))


@pytest.fixture
def url(database_url: str) -> str:
    """An empty, migrated database on each backend (conftest)."""
    return database_url


def open_db(url: str, keys: KeyRing | None) -> Database:
    return Database(url, keys=keys)


def talk(db: Database, flows: FlowSet, renderer: Renderer, who: str = "client-1") -> TestClient:
    return TestClient(Conversation(db, flows, renderer), who=who)


def a_marker() -> str:
    return f"zebra{uuid.uuid4().hex[:12]}"


def consent_and_share(client: TestClient, words: str) -> None:
    client.say("/start")
    client.tap("Yes, that's OK")
    client.tap("Yes, they may read it")
    client.say(f"my drinking, {words}")
    client.say(f"to wake up without {words}")
    client.say(f"six pints and {words}")


def set_a_goal(client: TestClient, words: str) -> None:
    client.say("/menu")
    client.tap("Thinking about change")
    client.tap("Make it safer")
    client.say(f"water between pints {words}")


def database_files(db: Database) -> bytes:
    """Every byte of the SQLite database, its WAL and its shared memory."""
    path = Path(db.engine.url.database or "")
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    )


def raw_values(db: Database) -> list[str]:
    """Every sealed column's stored value in every row, as stored (not opened)."""
    found: list[str] = []
    with db.engine.connect() as connection:
        for _table, columns in sealed_columns():
            for column in columns:
                kind = LargeBinary if column.type.__class__.__name__ == "SealedBytes" else Text
                for (value,) in connection.execute(select(type_coerce(column, kind))):
                    if value is not None:
                        found.append(value.decode("latin-1") if isinstance(value, bytes) else value)
    return found


def client_id(db: Database, who: str = "client-1") -> int:
    with Session(db.engine) as session:
        found = session.execute(select(Client.id).where(Client.external_id == who)).scalar_one()
        return int(found)


# -- encryption at rest ---------------------------------------------------------------------


def test_with_a_key_the_files_hold_none_of_the_clients_words_and_the_bot_still_knows_them(
    tmp_path: Path, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(f"sqlite:///{tmp_path / 'alongside.db'}", ring())
    db.migrate()
    marker = a_marker()
    client = talk(db, flows, renderer)
    consent_and_share(client, marker)
    set_a_goal(client, marker)
    client.say("/mydata")  # the export is made from the stored rows: they open
    attachment = client.last[0].attachment
    assert attachment is not None and marker in attachment[2].decode("utf-8")
    with Session(db.engine) as session:
        goal = session.execute(select(Goal.words)).scalar_one()
    assert goal == f"water between pints {marker}"
    files = database_files(db)
    assert b"six pints" not in files and marker.encode() not in files
    assert b"ag1:c" in files  # sealed values are there: the search above looked at the data


def test_every_sealed_column_names_its_key_and_a_client_key_is_wrapped_by_the_master(
    url: str, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(url, ring())
    marker = a_marker()
    consent_and_share(talk(db, flows, renderer), marker)
    stored = raw_values(db)
    assert stored and all(v.lstrip('"').startswith("ag1:c") for v in stored)
    assert not any(marker in v for v in stored)
    with Session(db.engine) as session:
        (key,) = session.execute(select(ClientKey)).scalars().all()
    assert key.master_key_id == db.keys.current_id
    assert all(f"ag1:c{key.key_id}:" in v for v in stored)


def test_values_stored_before_a_key_read_as_plaintext_and_rotate_seals_them(
    url: str, flows: FlowSet, renderer: Renderer
) -> None:
    marker = a_marker()
    consent_and_share(talk(open_db(url, None), flows, renderer), marker)
    assert any(marker in v for v in raw_values(open_db(url, None)))

    db = open_db(url, ring())
    said = [e.text for e in transcript(db)]
    assert f"six pints and {marker}" in said  # plaintext reads as itself
    done = rotate(db, batch=2)
    assert done.values_sealed["transcript_event"] > 0
    assert not any(marker in v for v in raw_values(db))
    assert [e.text for e in transcript(db)] == said
    if db.is_sqlite:
        assert marker.encode() not in database_files(db)  # not in old pages or the WAL either
    assert rotate(db).values_sealed == {}  # nothing left to do


def test_rotation_rewraps_client_keys_and_can_be_stopped_and_resumed(
    url: str, flows: FlowSet, renderer: Renderer
) -> None:
    marker = a_marker()
    old = open_db(url, ring(KEY))
    for who in ("client-1", "client-2", "client-3"):
        consent_and_share(talk(old, flows, renderer, who), marker)
    said = [e.text for e in transcript(old)]

    rotated = open_db(url, ring(NEXT_KEY, KEY))

    def stop_after_the_first_batch(_: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(rotated, batch=1, progress=stop_after_the_first_batch)
    assert rotate(rotated, batch=1).keys_rewrapped == 2  # the rest, after the first
    with Session(rotated.engine) as session:
        masters = set(session.execute(select(ClientKey.master_key_id)).scalars())
    assert masters == {rotated.keys.current_id}

    only_new = open_db(url, ring(NEXT_KEY))  # the old key can go now
    assert [e.text for e in transcript(only_new)] == said
    with pytest.raises(KeyProblem):
        transcript(open_db(url, ring(KEY)))  # and the old key alone opens nothing


def transcript(db: Database) -> list[TranscriptEvent]:
    with Session(db.engine) as session:
        return list(session.execute(select(TranscriptEvent).order_by(TranscriptEvent.id)).scalars())


def test_search_finds_sealed_words_in_the_dashboard(
    url: str, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(url, ring())
    marker = a_marker()
    consent_and_share(talk(db, flows, renderer), marker)
    found = search(db, marker.upper())
    assert all(h.match == marker for h in found.hits) and not found.more
    directions = [h.direction for h in found.hits]
    assert directions[:3] == ["in"] * 3 and set(directions[3:]) <= {"out"}  # theirs first
    second = search(db, marker, page=2, limit=2)
    assert [h.event_id for h in second.hits] == [h.event_id for h in found.hits[2:4]]
    assert second.more == (len(found.hits) > 4)
    assert search(db, "nothing anyone said").hits == []


# -- erasure you can verify -----------------------------------------------------------------


def test_forget_leaves_not_a_byte_of_the_clients_words_in_the_sqlite_files(
    tmp_path: Path, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(f"sqlite:///{tmp_path / 'alongside.db'}", None)  # plaintext: the hard case
    db.migrate()
    marker = a_marker()
    client = talk(db, flows, renderer)
    consent_and_share(client, marker)
    set_a_goal(client, marker)
    assert marker.encode() in database_files(db)  # it was there to be found

    client.say("/forget")
    client.tap("Yes, erase everything")
    assert "we start afresh" in client.text
    assert marker.encode() not in database_files(db)


def test_on_postgresql_forget_shreds_the_key_and_what_it_sealed_no_longer_opens(
    postgres_url: str, flows: FlowSet, renderer: Renderer
) -> None:
    _empty_tables(Database(postgres_url))
    db = open_db(postgres_url, ring())
    marker = a_marker()
    client = talk(db, flows, renderer)
    consent_and_share(client, marker)
    kept = [v.strip('"') for v in raw_values(db)]  # a copy, as a backup would keep it
    with Session(db.engine) as session:
        key_id = session.execute(select(ClientKey.key_id)).scalar_one()
    assert marker in db.keys.open(kept[0]).decode()  # it opens, before

    client.say("/forget")
    client.tap("Yes, erase everything")
    with Session(db.engine) as session:
        keys_left = set(session.execute(select(ClientKey.key_id)).scalars())
    assert key_id not in keys_left and len(keys_left) == 1  # the fresh client's, for the reply
    for keys in (db.keys, ring()):  # this process's ring, and a fresh one with the same key
        keys.lookup = db.keys.lookup
        for value in kept:
            with pytest.raises(KeyProblem):
                keys.open(value)


def test_retention_erases_clients_silent_too_long_and_keeps_the_rest(
    url: str, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(url, None if url.startswith("sqlite") else ring())
    silent, talking = a_marker(), a_marker()
    consent_and_share(talk(db, flows, renderer, "silent"), silent)
    consent_and_share(talk(db, flows, renderer, "talking"), talking)
    with Session(db.engine) as session, session.begin():
        session.execute(
            update(Client)
            .where(Client.external_id == "silent")  # type: ignore[arg-type]
            .values(last_active_at=utcnow() - timedelta(days=366))
        )
    if db.is_sqlite:
        assert silent.encode() in database_files(db)

    assert purge_expired(db, now=utcnow(), days=365, audit_days=2190, batch=1) == (1, 0)
    with Session(db.engine) as session:
        left = set(session.execute(select(Client.external_id)).scalars())
    assert left == {"talking"}
    said = " ".join(e.text or "" for e in transcript(db))
    assert talking in said and silent not in said
    if db.is_sqlite:
        assert silent.encode() not in database_files(db)


def test_the_audit_log_is_kept_for_its_own_period_and_the_database_guards_the_last_year(
    url: str,
) -> None:
    from sqlalchemy.exc import DBAPIError

    from storage.review_models import AuditEntry

    db = open_db(url, None)
    now = utcnow()
    with Session(db.engine) as session, session.begin():
        for days in (3000, 400, 10):
            session.add(
                AuditEntry(
                    created_at=now - timedelta(days=days), actor="casey", action="read", address="-"
                )
            )
    assert purge_expired(db, now=now, days=365, audit_days=2190) == (0, 1)
    with pytest.raises(DBAPIError), Session(db.engine) as session, session.begin():
        session.execute(AuditEntry.__table__.delete())  # type: ignore[attr-defined]
    with Session(db.engine) as session:
        kept = list(session.execute(select(AuditEntry.created_at)).scalars())
    assert len(kept) == 2


# -- backups ------------------------------------------------------------------------------


def test_a_backup_is_encrypted_and_restores_what_was_there(
    url: str, tmp_path: Path, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(url, ring())
    marker = a_marker()
    consent_and_share(talk(db, flows, renderer), marker)
    before = [e.text for e in transcript(db)]
    path = tmp_path / "alongside.backup"
    backup(url, db.keys, path)
    assert marker.encode() not in path.read_bytes() and b"six pints" not in path.read_bytes()

    later = talk(db, flows, renderer, "client-2")  # written after the backup
    later.say("/start")
    db.dispose()
    with pytest.raises(BackupProblem):
        restore(url, ring(NEXT_KEY), path)  # the wrong key
    restore(url, db.keys, path)
    restored = open_db(url, ring())
    assert [e.text for e in transcript(restored)] == before
    with Session(restored.engine) as session:
        assert set(session.execute(select(Client.external_id)).scalars()) == {"client-1"}


def test_a_damaged_backup_is_refused(url: str, tmp_path: Path) -> None:
    path = tmp_path / "alongside.backup"
    backup(url, ring(), path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(BackupProblem, match="damaged"):
        restore(url, ring(), path)


def test_after_forget_the_same_address_starts_afresh_under_a_new_key(
    url: str, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(url, ring())
    client = talk(db, flows, renderer)
    consent_and_share(client, a_marker())
    before = client_id(db)
    with Session(db.engine) as session:
        old_key = session.execute(select(ClientKey.key_id)).scalar_one()
    client.say("/forget")
    client.tap("Yes, erase everything")
    marker = a_marker()
    consent_and_share(client, marker)  # SQLite may hand the erased client's id out again
    assert client_id(db) >= before
    with Session(db.engine) as session:
        (new_key_id,) = session.execute(select(ClientKey.key_id)).scalars().all()
    assert new_key_id != old_key
    assert f"six pints and {marker}" in [e.text for e in transcript(open_db(url, ring()))]


# -- at start, and on the command line --------------------------------------------------------


def test_on_telegram_a_missing_key_refuses_to_start_and_a_bad_key_is_never_shown(
    tmp_path: Path,
) -> None:
    database = {"ALONGSIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    on_telegram = {**database, "TELEGRAM_BOT_TOKEN": "123:not-used", "ALONGSIDE_DATA_KEY": ""}
    refused = alongside("run", env=on_telegram)
    assert refused.returncode == 2 and "refusing to start on Telegram" in refused.stderr
    bad = "not-a-key-but-a-secret-all-the-same"
    malformed = alongside("run", env={**on_telegram, "ALONGSIDE_DATA_KEY": bad})
    assert malformed.returncode == 2 and "base64" in malformed.stderr
    assert bad not in malformed.stderr + malformed.stdout
    chat = alongside("chat", stdin="2\n", env={**database, "ALONGSIDE_DATA_KEY": ""})
    assert chat.returncode == 0 and "stored in plain text" in chat.stderr


def test_the_command_line_makes_keys_rotates_backs_up_and_restores(tmp_path: Path) -> None:
    made = alongside("keys", "new")
    key = made.stdout.strip()
    assert made.returncode == 0 and ring(key).enabled
    env = {"ALONGSIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "ALONGSIDE_DATA_KEY": ""}
    assert alongside("chat", stdin="1\nmy secret words\n", env=env).returncode == 0
    env["ALONGSIDE_DATA_KEY"] = key
    rotated = alongside("keys", "rotate", env=env)
    assert rotated.returncode == 0 and "rows sealed" in rotated.stdout
    assert b"my secret words" not in database_files(open_db(env["ALONGSIDE_DATABASE_URL"], None))
    backed = alongside("backup", str(tmp_path / "b.backup"), env=env)
    assert backed.returncode == 0, backed.stderr
    restored = alongside("restore", str(tmp_path / "b.backup"), env=env)
    assert restored.returncode == 0, restored.stderr
    said = [e.text for e in transcript(open_db(env["ALONGSIDE_DATABASE_URL"], ring(key)))]
    assert "my secret words" in said


# -- the client is told ---------------------------------------------------------------------


def test_the_welcome_and_privacy_say_plainly_how_things_are_kept(
    tmp_path: Path, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(f"sqlite:///{tmp_path / 'sealed.db'}", ring())
    db.migrate()
    client = TestClient(Conversation(db, flows, renderer, retention_days=90))
    client.say("/start")
    assert "How: encrypted, and erased 90 days after your last message." in client.text
    client.say("/privacy")
    assert "Stored encrypted, with a key of your own" in client.text
    assert "For 90 days after your last message; then I erase all of it" in client.text
    assert "in the memory of the computer I run on" in client.text
    assert "they read it decrypted, in plain words" in client.text
    assert "Telegram itself stores bot chats on its servers" in client.text

    plain = open_db(f"sqlite:///{tmp_path / 'plain.db'}", None)
    plain.migrate()
    other = TestClient(Conversation(plain, flows, renderer))  # the default period: a year
    other.say("/start")
    assert "How: erased a year after your last message." in other.text
    other.say("/privacy")
    assert "stores it without encryption" in other.text and "For a year after" in other.text


def test_the_bots_scheduler_erases_clients_past_the_retention_period(
    tmp_path: Path, flows: FlowSet, renderer: Renderer
) -> None:
    from bot.app import build_services
    from bot.scheduler import purge_past_retention
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        ALONGSIDE_DATABASE_URL=f"sqlite:///{tmp_path / 'alongside.db'}",
        ALONGSIDE_DATA_KEY=KEY,
        ALONGSIDE_RETENTION_DAYS=30,
    )
    services = build_services(settings)
    marker = a_marker()
    for who in ("gone quiet", "still here"):
        consent_and_share(TestClient(services.conversation, who=who), marker)
    with Session(services.db.engine) as session, session.begin():
        session.execute(
            update(Client)
            .where(Client.external_id == "gone quiet")  # type: ignore[arg-type]
            .values(last_active_at=utcnow() - timedelta(days=31))
        )
    assert purge_past_retention(services) == (1, 0)
    assert purge_past_retention(services) == (0, 0)
    with Session(services.db.engine) as session:
        assert set(session.execute(select(Client.external_id)).scalars()) == {"still here"}


def test_restoring_an_older_backup_erases_again_whoever_was_erased_since(
    url: str, tmp_path: Path, flows: FlowSet, renderer: Renderer
) -> None:
    db = open_db(url, ring())
    leaving, staying = a_marker(), a_marker()
    client = talk(db, flows, renderer, "leaving")
    consent_and_share(client, leaving)
    consent_and_share(talk(db, flows, renderer, "staying"), staying)
    path = tmp_path / "alongside.backup"
    backup(url, db.keys, path)  # holds the leaving client's key
    client.say("/forget")
    client.tap("Yes, erase everything")
    db.dispose()

    assert restore(url, ring(), path) == 1
    restored = open_db(url, ring())
    said = " ".join(e.text or "" for e in transcript(restored))
    assert staying in said and leaving not in said
    with Session(restored.engine) as session:
        assert set(session.execute(select(Client.external_id)).scalars()) == {"staying"}


def test_a_key_comes_from_the_settings_or_a_file_and_never_reaches_a_log_line(
    tmp_path: Path,
) -> None:
    from bot.settings import Settings

    given = Settings(_env_file=None, ALONGSIDE_DATA_KEY=KEY, ALONGSIDE_RETIRED_DATA_KEYS=NEXT_KEY)
    assert KEY not in repr(given) and NEXT_KEY not in repr(given)
    assert {KEY, NEXT_KEY} <= set(given.secrets())  # masked by the log filter
    keys = given.key_ring()
    assert keys.current_id == ring(KEY).current_id and len(keys.master_ids()) == 2
    (tmp_path / "data.key").write_text(KEY + "\n")
    from_file = Settings(_env_file=None, ALONGSIDE_DATA_KEY_FILE=str(tmp_path / "data.key"))
    assert from_file.key_ring().current_id == keys.current_id
    missing = Settings(_env_file=None, ALONGSIDE_DATA_KEY_FILE=str(tmp_path / "nowhere"))
    with pytest.raises(KeyProblem, match="cannot be read"):
        missing.key_ring()


def test_plaintext_that_looks_a_little_like_a_sealed_value_still_reads_as_itself(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'alongside.db'}"
    plain = open_db(url, None)
    plain.migrate()
    tricky = "ag1:c0123456789abcdef:not base64 at all"
    with plain.turn("test", "1") as turn:
        turn.log_inbound(kind="text", text=tricky, choice=None, flow="f", state="s")
    sealed = open_db(url, ring())
    assert [e.text for e in transcript(sealed)] == [tricky]
    assert rotate(sealed).values_sealed == {"transcript_event": 1}
    assert [e.text for e in transcript(open_db(url, ring()))] == [tricky]
