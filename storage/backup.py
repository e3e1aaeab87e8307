"""`alongside backup` and `alongside restore`: a consistent copy of the database, encrypted
with the current master key.

SQLite: the online backup API copies a consistent snapshot while the bot runs. PostgreSQL:
`pg_dump` (one snapshot transaction, custom format), restored with `pg_restore --clean`.

The file: a header line (`alongside-backup 1 <sqlite|postgresql> <master key id>`), then
chunks, each `length (4 bytes) + nonce + AES-GCM ciphertext`, the chunk's number and whether
it is the last being the associated data, so chunks cannot be reordered, dropped or cut off
unnoticed. Restoring needs the master key the backup was made with (keep retired keys as long
as backups made with them).

A backup holds the clients' keys of its day. So that a client erased since is not brought back,
`restore` reads the ids of erased keys (`erased_key`) from the database it replaces, and once
the backup is in, erases again every client whose key is among them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.keyring import NONCE_BYTES, KeyProblem, KeyRing
from storage.models import ClientKey, ErasedKey

MAGIC = b"alongside-backup 1"
CHUNK = 1 << 20


class BackupProblem(RuntimeError):
    """A backup that cannot be written or read, with a message fit to show."""


def _aad(index: int, last: bool) -> bytes:
    return struct.pack(">Q?", index, last)


def _chunks(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    block = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        yield block, not following
        if not following:
            return
        block = following


def encrypt_stream(ring: KeyRing, kind: str, source: BinaryIO, target: BinaryIO) -> None:
    if ring.current_id is None:
        raise KeyProblem("a backup is encrypted: set ALONGSIDE_DATA_KEY first")
    aead = ring.master(ring.current_id)
    target.write(MAGIC + f" {kind} {ring.current_id}\n".encode("ascii"))
    for index, (block, last) in enumerate(_chunks(source)):
        nonce = os.urandom(NONCE_BYTES)
        sealed = aead.encrypt(nonce, block, _aad(index, last))
        target.write(struct.pack(">I", len(sealed)) + nonce + sealed)


def decrypt_stream(ring: KeyRing, source: BinaryIO, target: BinaryIO) -> str:
    """Decrypt a backup into `target`; returns the kind of database it holds."""
    header = source.readline().decode("ascii", "replace").split()
    if len(header) != 4 or " ".join(header[:2]).encode() != MAGIC:
        raise BackupProblem("this is not an Alongside backup")
    kind, key_id = header[2], header[3]
    if key_id not in ring.master_ids():
        raise BackupProblem(f"this backup needs master key {key_id}, which is not configured")
    aead, index, last = ring.master(key_id), 0, False
    while not last:
        size_bytes = source.read(4)
        if len(size_bytes) < 4:
            raise BackupProblem("the backup is cut short")
        (size,) = struct.unpack(">I", size_bytes)
        nonce, sealed = source.read(NONCE_BYTES), source.read(size)
        for last in (False, True):
            try:
                target.write(aead.decrypt(nonce, sealed, _aad(index, last)))
                break
            except InvalidTag:
                continue
        else:
            raise BackupProblem("the backup is damaged or was changed")
        index += 1
    return kind


def backup(url: str, ring: KeyRing, path: Path) -> None:
    """Write an encrypted, consistent backup of the database at `url` to `path`."""
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain"
        if url.startswith("sqlite"):
            kind = "sqlite"
            _sqlite_backup(_sqlite_path(url), plain)
        else:
            kind = "postgresql"
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={plain}", _libpq(url)])
        partial = path.with_name(path.name + ".partial")
        with plain.open("rb") as source, partial.open("wb") as target:
            encrypt_stream(ring, kind, source, target)
        partial.replace(path)


def restore(url: str, ring: KeyRing, path: Path) -> int:
    """Replace the database at `url` with the backup at `path` (the bot must be stopped);
    returns how many clients erased since the backup were erased again."""
    erased = _erased_key_ids(url)
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain"
        with path.open("rb") as source, plain.open("wb") as target:
            kind = decrypt_stream(ring, source, target)
        if kind != ("sqlite" if url.startswith("sqlite") else "postgresql"):
            raise BackupProblem(f"this is a backup of a {kind} database")
        if kind == "sqlite":
            _sqlite_backup(plain, _sqlite_path(url))
        else:
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={_libpq(url)}",
                    str(plain),
                ]
            )
    return _erase_again(url, ring, erased)


def _erased_key_ids(url: str) -> set[str]:
    """The erased keys the database being replaced knows of (none if it is new or gone)."""
    if url.startswith("sqlite") and not _sqlite_path(url).exists():
        return set()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(ErasedKey.__tablename__):
                return set()
            return set(connection.execute(select(ErasedKey.key_id)).scalars())  # type: ignore[call-overload]
    except OperationalError:
        return set()
    finally:
        engine.dispose()


def _erase_again(url: str, ring: KeyRing, erased: set[str]) -> int:
    from storage.client_data import erase_client
    from storage.database import Database

    db = Database(url, keys=ring)
    try:
        db.migrate()  # a backup from an older version
        with db.write_session() as session:
            table = ClientKey.__table__  # type: ignore[attr-defined]
            back = session.execute(
                select(table.c.client_id).where(table.c.key_id.in_(sorted(erased)))
            ).scalars()
            clients = list(back)
            for client_id in clients:
                erase_client(session, client_id)
            known = set(session.execute(select(ErasedKey.key_id)).scalars())  # type: ignore[call-overload]
            session.add_all(ErasedKey(key_id=k) for k in sorted(erased - known))
        return len(clients)
    finally:
        db.dispose()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupProblem("only a SQLite file can be backed up")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy with SQLite's online backup API: consistent, even while others write."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq takes it (no driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupProblem(f"{command[0]} is not installed")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupProblem(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
