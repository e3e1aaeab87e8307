"""Columns whose values are encrypted at rest (`SealedText`, `SealedJSON`, `SealedBytes`), so the
code that reads and writes them sees plain values and stays unchanged.

Which key seals a value: a row with a `client_id` is sealed with that client's key
(`storage.client_keys` wraps its values as `Sealed*` just before each flush); anything else
(the inbox, Core statements) with the current master key. The key ring is found through the
engine's dialect, so two databases in one process can have different keys (tests do)."""

from __future__ import annotations

import copy
import json
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, LargeBinary, Text, TypeDecorator
from sqlalchemy.engine import Dialect, Engine

from storage.keyring import PREFIX, KeyProblem, KeyRing, is_sealed

_RINGS: WeakKeyDictionary[Dialect, KeyRing] = WeakKeyDictionary()
_PREFIX_BYTES = PREFIX.encode("ascii")


def bind_ring(engine: Engine, ring: KeyRing) -> None:
    _RINGS[engine.dialect] = ring


def ring_for(dialect: Dialect) -> KeyRing | None:
    return _RINGS.get(dialect)


class ClientKeyed:
    """A value on its way to a sealed column, carrying the client key to seal it with. It is
    the plain value to everyone else; copies of it are plain values again."""

    key_id: str
    aead: AESGCM


class SealedStr(str, ClientKeyed):
    def __new__(cls, value: str, key_id: str, aead: AESGCM) -> SealedStr:
        made = super().__new__(cls, value)
        made.key_id, made.aead = key_id, aead
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (str(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> str:
        return str(self)


class SealedDict(dict[str, Any], ClientKeyed):
    def __init__(self, value: dict[str, Any], key_id: str, aead: AESGCM) -> None:
        super().__init__(value)
        self.key_id, self.aead = key_id, aead

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(self), memo)


class SealedBytesValue(bytes, ClientKeyed):
    def __new__(cls, value: bytes, key_id: str, aead: AESGCM) -> SealedBytesValue:
        made = super().__new__(cls, value)
        made.key_id, made.aead = key_id, aead
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (bytes, (bytes(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> bytes:
        return bytes(self)


def with_client_key(value: Any, key_id: str, aead: AESGCM) -> Any:
    """`value` marked to be sealed with this client key (None and marked values unchanged)."""
    if value is None or isinstance(value, ClientKeyed):
        return value
    if isinstance(value, str):
        return SealedStr(value, key_id, aead)
    if isinstance(value, bytes):
        return SealedBytesValue(value, key_id, aead)
    if isinstance(value, dict):
        return SealedDict(value, key_id, aead)
    raise TypeError(f"cannot seal a {type(value).__name__}")


def seal(value: Any, plaintext: bytes, ring: KeyRing) -> str:
    if isinstance(value, ClientKeyed):
        return ring.seal_client(value.aead, value.key_id, plaintext)
    return ring.seal_master(plaintext)


def _opened(value: str, dialect: Dialect) -> bytes:
    ring = ring_for(dialect)
    if ring is None:
        raise KeyProblem("the database holds encrypted values and no data key is configured")
    return ring.open(value)


def _enabled(dialect: Dialect) -> KeyRing | None:
    ring = ring_for(dialect)
    return ring if ring is not None and ring.enabled else None


class SealedText(TypeDecorator[str]):
    """Text sealed at rest; plaintext (older rows) reads as itself."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        ring = _enabled(dialect)
        if value is None or ring is None:
            return None if value is None else str(value)
        return seal(value, value.encode("utf-8"), ring)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_sealed(value):
            return value
        return _opened(value, dialect).decode("utf-8")

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        """A value compared with the column (a search pattern) is bound as plain text."""
        return Text()


class SealedJSON(TypeDecorator[Any]):
    """A JSON document sealed at rest, stored as a JSON string; a plain document (older rows)
    reads as itself."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        ring = _enabled(dialect)
        if value is None or ring is None:
            return value
        document = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return seal(value, document.encode("utf-8"), ring)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and is_sealed(value):
            return json.loads(_opened(value, dialect))
        return value


class SealedBytes(TypeDecorator[bytes]):
    """Bytes (a file) sealed at rest; unsealed bytes (older rows) read as themselves."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        ring = _enabled(dialect)
        if value is None or ring is None:
            return None if value is None else bytes(value)
        return seal(value, bytes(value), ring).encode("ascii")

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None or not bytes(value).startswith(_PREFIX_BYTES):
            return value
        text = bytes(value).decode("ascii", "replace")
        return _opened(text, dialect) if is_sealed(text) else value


SEALED_TYPES = (SealedText, SealedJSON, SealedBytes)
