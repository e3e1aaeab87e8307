"""Each client's own key: made on first need, used to seal their rows just before each flush,
and erased with them. See storage.keyring for the scheme and storage.sealed for the columns."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Table, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from storage.keyring import KeyRing
from storage.models import Client, ClientKey, ErasedKey
from storage.sealed import SEALED_TYPES, ring_for, with_client_key

_CACHE = "alongside_client_keys"  # session.info: client id -> (key id, key), this session only
_FIELDS: dict[type, tuple[str, ...]] = {}


def sealed_fields(cls: type) -> tuple[str, ...]:
    """The attributes of a client-owned table class that are sealed with the client's key."""
    if cls not in _FIELDS:
        table: Table | None = getattr(cls, "__table__", None)
        _FIELDS[cls] = (
            tuple(c.key for c in table.columns if isinstance(c.type, SEALED_TYPES))
            if table is not None and "client_id" in table.c
            else ()
        )
    return _FIELDS[cls]


def client_key(session: Session, ring: KeyRing, client_id: int) -> tuple[str, AESGCM]:
    """The client's key (its id and cipher), made and stored in this transaction if new."""
    cache: dict[int, tuple[str, AESGCM]] = session.info.setdefault(_CACHE, {})
    if client_id in cache:
        return cache[client_id]
    with session.no_autoflush:
        client = session.get(Client, client_id)  # in a turn, already loaded: no query
        code = client.code if client is not None else ""
        known = ring.stored_key_of(client_id, code)
        if known is not None:
            cache[client_id] = known
            return known
        row = session.get(ClientKey, client_id)
    if row is None:
        key_id, master_id, wrapped = ring.new_client_key()
        row = ClientKey(
            client_id=client_id, key_id=key_id, master_key_id=master_id, wrapped=wrapped
        )
        session.add(row)
    elif code:
        ring.remember_stored_key(client_id, code, row.key_id)
    cache[client_id] = (row.key_id, ring.client_aead(row.key_id, row.master_key_id, row.wrapped))
    return cache[client_id]


def drop_client_key(session: Session, client_id: int) -> None:
    """Before a client's rows are erased: forget their key here and in this process's ring."""
    ring = ring_for(session.get_bind().dialect)
    session.info.get(_CACHE, {}).pop(client_id, None)
    table = ClientKey.__table__  # type: ignore[attr-defined]
    key_id = session.execute(
        select(table.c.key_id).where(table.c.client_id == client_id)
    ).scalar_one_or_none()
    if key_id is not None:
        session.add(ErasedKey(key_id=key_id))  # for a restore from an older backup
        if ring is not None:
            ring.forget_client_key(key_id, client_id)


@event.listens_for(OrmSession, "before_flush")
def _seal_with_client_keys(session: Session, _context: Any, _instances: Any) -> None:
    ring = ring_for(session.get_bind().dialect)
    if ring is None or not ring.enabled:
        return
    with session.no_autoflush:
        for row in [*session.new, *session.dirty]:
            names = sealed_fields(type(row))
            if not names:
                continue
            for name in names:
                value = getattr(row, name)
                if value is not None:
                    key_id, aead = client_key(session, ring, row.client_id)
                    setattr(row, name, with_client_key(value, key_id, aead))


def lookup_for(engine: Engine) -> Any:
    """How the ring finds a client key it has not cached: on a connection of its own (a read;
    a key made in an open transaction is already cached by the ring that made it)."""
    table = ClientKey.__table__  # type: ignore[attr-defined]

    def lookup(key_id: str) -> tuple[str, bytes] | None:
        with engine.connect() as connection:
            found = connection.execute(
                select(table.c.master_key_id, table.c.wrapped).where(table.c.key_id == key_id)
            ).first()
        return (found[0], bytes(found[1])) if found is not None else None

    return lookup
