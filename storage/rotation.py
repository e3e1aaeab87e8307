"""`alongside keys rotate`: move everything onto the current master key, in batches.

1. Client keys wrapped by another (retired) master key are re-wrapped by the current one; the
   values sealed with them need not change.
2. Values still in plaintext (written before a key was configured) and values sealed directly
   by a retired master key (the inbox's) are sealed again: with the client's key where the row
   has a client, else with the current master key.

Each batch is its own transaction, and only what is not yet done is selected: stopped at any
point, a second run carries on where the first left off. When nothing is left on a retired key,
that key can be removed from ALONGSIDE_RETIRED_DATA_KEYS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, LargeBinary, Table, Text, cast, select, type_coerce, update
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel, col

from storage import erasure
from storage.client_keys import client_key
from storage.database import Database
from storage.keyring import PREFIX, KeyProblem, is_sealed
from storage.models import ClientKey
from storage.sealed import SEALED_TYPES, SealedBytes, SealedJSON, with_client_key

BATCH = 500


@dataclass
class Rotation:
    keys_rewrapped: int = 0
    values_sealed: dict[str, int] = field(default_factory=dict)


def sealed_columns() -> Iterator[tuple[Table, list[Column[Any]]]]:
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, SEALED_TYPES)]
        if columns:
            yield table, columns


def rotate(
    db: Database, *, batch: int = BATCH, progress: Callable[[str], None] | None = None
) -> Rotation:
    ring = db.keys
    if ring.current_id is None:
        raise KeyProblem("no data key is configured: set ALONGSIDE_DATA_KEY first")
    done = Rotation()
    while rewrapped := _rewrap_batch(db, ring.current_id, batch):
        done.keys_rewrapped += rewrapped
        if progress:
            progress(f"client keys re-wrapped: {done.keys_rewrapped}")
    for table, columns in sealed_columns():
        after: Any = None
        while True:
            after, sealed = _seal_batch(db, table, columns, after, batch)
            if sealed:
                done.values_sealed[table.name] = done.values_sealed.get(table.name, 0) + sealed
                if progress:
                    progress(f"{table.name}: {done.values_sealed[table.name]} rows sealed")
            if after is None:
                break
    if db.is_sqlite and done.values_sealed:
        try:  # the plaintext's old pages, freed before secure_delete was on
            erasure.vacuum(db.engine)
        except OperationalError:
            if progress:
                progress("VACUUM was kept busy: run `alongside keys rotate` again when idle")
    return done


def _rewrap_batch(db: Database, current: str, batch: int) -> int:
    with db.write_session() as session:
        rows = session.exec(
            select(ClientKey).where(col(ClientKey.master_key_id) != current).limit(batch)  # type: ignore[call-overload]
        ).all()
        for (row,) in rows:
            raw = db.keys.unwrap(row.key_id, row.master_key_id, row.wrapped)
            row.wrapped, row.master_key_id = db.keys.wrap(row.key_id, raw), current
        return len(rows)


def _raw(column: Column[Any]) -> Any:
    """The column as stored, not opened."""
    if isinstance(column.type, SealedJSON):
        return cast(column, Text)
    return type_coerce(column, LargeBinary if isinstance(column.type, SealedBytes) else Text)


def _stale(raw: Any, current: str) -> bool:
    """Stored in plaintext, or sealed by a master key that is not the current one."""
    if raw is None:
        return False
    text = bytes(raw).decode("ascii", "replace") if isinstance(raw, bytes | memoryview) else raw
    text = text[1:-1] if text.startswith('"') else text  # a JSON string
    if not is_sealed(text):
        return True
    ref = text[len(PREFIX) :].split(":", 1)[0]
    return ref.startswith("m") and ref != "m" + current


def _seal_batch(
    db: Database, table: Table, columns: list[Column[Any]], after: Any, batch: int
) -> tuple[Any, int]:
    """Seal the stale values among the next `batch` rows after primary key `after`; returns
    the last key seen (None when the table is done) and how many rows were rewritten."""
    (pk,) = table.primary_key.columns
    current = db.keys.current_id
    assert current is not None
    owned = "client_id" in table.c
    query = select(pk, *(_raw(c) for c in columns)).order_by(pk).limit(batch)
    if after is not None:
        query = query.where(pk > after)
    sealed = 0
    with db.write_session() as session:
        rows = session.execute(query).all()
        for row in rows:
            stale = [c for c, raw in zip(columns, row[1:], strict=True) if _stale(raw, current)]
            if not stale:
                continue
            opened = session.execute(
                select(*stale, *([table.c.client_id] if owned else [])).where(pk == row[0])
            ).one()
            values = dict(zip((c.key for c in stale), opened, strict=False))
            if owned:
                key_id, aead = client_key(session, db.keys, opened[-1])
                values = {k: with_client_key(v, key_id, aead) for k, v in values.items()}
            session.execute(update(table).where(pk == row[0]).values(**values))
            sealed += 1
    return (rows[-1][0] if len(rows) == batch else None), sealed
