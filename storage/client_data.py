"""A client's data rights, generically: every table with a `client_id` column, plus the client
row, is exported by /mydata and erased by /forget. A table added later is included by having
that column (DESIGN: every client-owned row carries `client_id`)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select
from sqlmodel import Session, SQLModel

from storage.client_keys import drop_client_key
from storage.erasure import scrub_after_commit
from storage.models import Client, ClientKey

CLIENT_KEY = "client_id"
NOT_EXPORTED = {ClientKey.__tablename__}  # the client's key, wrapped: of no use to read


def client_tables() -> list[Table]:
    """Tables holding rows about one client, parents before children (foreign-key order)."""
    return [t for t in SQLModel.metadata.sorted_tables if CLIENT_KEY in t.c]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _rows(session: Session, table: Table, *where: Any) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns)
    result = session.execute(select(table).where(*where).order_by(*order))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def export_client(session: Session, client_id: int) -> dict[str, Any]:
    """Everything stored about the client: their row, and their rows in every client table."""
    client_table = Client.__table__  # type: ignore[attr-defined]
    (client,) = _rows(session, client_table, client_table.c.id == client_id)
    return {
        "client": client,
        "tables": {
            table.name: _rows(session, table, table.c[CLIENT_KEY] == client_id)
            for table in client_tables()
            if table.name not in NOT_EXPORTED
        },
    }


def erase_client(session: Session, client_id: int) -> dict[str, int]:
    """Delete every row about the client, then the client row; the count of rows per table.
    Children go before parents, so foreign keys between client tables hold throughout. The
    client's key goes with them, and once committed the files are scrubbed (storage.erasure)."""
    drop_client_key(session, client_id)
    scrub_after_commit(session)
    counts: dict[str, int] = {}
    for table in reversed(client_tables()):
        result = session.execute(delete(table).where(table.c[CLIENT_KEY] == client_id))
        counts[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    client_table = Client.__table__  # type: ignore[attr-defined]
    session.execute(delete(client_table).where(client_table.c.id == client_id))
    return counts
