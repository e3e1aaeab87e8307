"""The keys that encrypt clients' words at rest, and the envelope a sealed value is stored in.

Two levels (envelope encryption):
- **master keys** come from the settings (`ALONGSIDE_DATA_KEY`, retired ones in
  `ALONGSIDE_RETIRED_DATA_KEYS` until `alongside keys rotate` has moved everything off them).
  A master key's id is derived from the key itself, so it needs no name.
- **client keys**: one random key per client, stored in `client_key` wrapped (encrypted) by a
  master key. Erasing that row makes everything sealed with it unreadable, in every copy
  (crypto-shredding).

A sealed value is text: `ag1:<key ref>:<base64 of nonce + AES-GCM ciphertext>`, the key ref
being `c<client key id>` or `m<master key id>`; the ref is also the associated data, so a
value cannot be made to open under another key's name. Text without the prefix is plaintext
(rows written before a key was configured); `alongside keys rotate` seals those."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "ag1:"
SEALED = re.compile(r"ag1:(?P<ref>[cm][0-9a-f]{12,16}):(?P<body>[A-Za-z0-9+/]+={0,2})")
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
CLIENT_KEY_CACHE = 4096  # unwrapped client keys kept in memory, least recently used out
CLIENT_KEY_TTL_SECONDS = 600.0  # and for at most this long, so an erased key does not linger


class KeyProblem(ValueError):
    """A key that is malformed or missing, or a value that does not open. Never names a key
    or a value."""


def new_key() -> str:
    """A fresh master key, as the settings take it (URL-safe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise KeyProblem("a data key is not URL-safe base64") from error
    if len(raw) != KEY_BYTES:
        raise KeyProblem(f"a data key must be {KEY_BYTES} bytes (base64 of 32 random bytes)")
    return raw


def master_key_id(raw: bytes) -> str:
    return hmac.new(raw, b"alongside master key id", hashlib.sha256).hexdigest()[:12]


def new_client_key_id() -> str:
    return os.urandom(8).hex()


@dataclass(frozen=True)
class Envelope:
    ref: str  # c<client key id> | m<master key id>
    body: bytes  # nonce + ciphertext

    @property
    def client_key_id(self) -> str | None:
        return self.ref[1:] if self.ref.startswith("c") else None


def is_sealed(value: str) -> bool:
    """A sealed value's exact shape: any other text (even one starting `ag1:`) is plaintext."""
    return value.startswith(PREFIX) and SEALED.fullmatch(value) is not None


def parse(value: str) -> Envelope:
    found = SEALED.fullmatch(value)
    if found is None:
        raise KeyProblem("a sealed value is damaged")
    try:
        return Envelope(found["ref"], base64.b64decode(found["body"], validate=True))
    except (binascii.Error, ValueError) as error:
        raise KeyProblem("a sealed value is damaged") from error


def seal_with(aead: AESGCM, ref: str, plaintext: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    body = nonce + aead.encrypt(nonce, plaintext, ref.encode("ascii"))
    return f"{PREFIX}{ref}:{base64.b64encode(body).decode('ascii')}"


def open_with(aead: AESGCM, envelope: Envelope) -> bytes:
    nonce, sealed = envelope.body[:NONCE_BYTES], envelope.body[NONCE_BYTES:]
    try:
        return aead.decrypt(nonce, sealed, envelope.ref.encode("ascii"))
    except InvalidTag as error:
        raise KeyProblem("a sealed value does not open with its key") from error


# A client key's wrapping as stored: (master key id, wrapped key bytes), found by client key id.
WrappedKeyLookup = Callable[[str], "tuple[str, bytes] | None"]


class KeyRing:
    """The master keys of this process and a bounded cache of unwrapped client keys.

    With no current key the ring is *plaintext*: nothing new is sealed, plaintext reads as
    itself, and a sealed value raises `KeyProblem`."""

    def __init__(self, current: bytes | None = None, retired: Iterable[bytes] = ()) -> None:
        self.current_id = master_key_id(current) if current is not None else None
        self._masters = {master_key_id(raw): AESGCM(raw) for raw in retired}
        if current is not None:
            self._masters[master_key_id(current)] = AESGCM(current)
        self._clients: OrderedDict[str, tuple[AESGCM, float]] = OrderedDict()
        # A stored client's key by client id, with the client's code (an id SQLite may give
        # again after an erasure; the code is drawn afresh), so a turn needs no look-up.
        self._owners: OrderedDict[int, tuple[str, str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.lookup: WrappedKeyLookup | None = None  # set when bound to a database

    @classmethod
    def from_settings(cls, current: str | None, retired: str | None) -> KeyRing:
        return cls(
            parse_key(current) if current else None,
            [parse_key(k) for k in (retired or "").split(",") if k.strip()],
        )

    @property
    def enabled(self) -> bool:
        return self.current_id is not None

    def master_ids(self) -> set[str]:
        return set(self._masters)

    def master(self, key_id: str) -> AESGCM:
        return self._masters[key_id]

    # -- master-level sealing (values with no client, such as the inbox) ---------------------

    def seal_master(self, plaintext: bytes) -> str:
        assert self.current_id is not None
        ref = "m" + self.current_id
        return seal_with(self._masters[self.current_id], ref, plaintext)

    # -- client keys --------------------------------------------------------------------------

    def new_client_key(self) -> tuple[str, str, bytes]:
        """A fresh client key, remembered here: (its id, the master key id, the key wrapped)."""
        assert self.current_id is not None
        key_id, raw = new_client_key_id(), AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        wrapped = self.wrap(key_id, raw)
        self._remember(key_id, AESGCM(raw))
        return key_id, self.current_id, wrapped

    def wrap(self, key_id: str, raw: bytes) -> bytes:
        assert self.current_id is not None
        nonce = os.urandom(NONCE_BYTES)
        aad = f"client key {key_id}".encode("ascii")
        return nonce + self._masters[self.current_id].encrypt(nonce, raw, aad)

    def unwrap(self, key_id: str, master_id: str, wrapped: bytes) -> bytes:
        master = self._masters.get(master_id)
        if master is None:
            raise KeyProblem(f"a client key is wrapped by master key {master_id}, not configured")
        aad = f"client key {key_id}".encode("ascii")
        try:
            return master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag as error:
            raise KeyProblem("a client key does not unwrap") from error

    def client_aead(self, key_id: str, master_id: str, wrapped: bytes) -> AESGCM:
        """A client key from its stored row (cached: unwrapped once per cache lifetime)."""
        cached = self._cached(key_id)
        if cached is not None:
            return cached
        aead = AESGCM(self.unwrap(key_id, master_id, wrapped))
        self._remember(key_id, aead)
        return aead

    def forget_client_key(self, key_id: str, client_id: int | None = None) -> None:
        with self._lock:
            self._clients.pop(key_id, None)
            if client_id is not None:
                self._owners.pop(client_id, None)

    def stored_key_of(self, client_id: int, code: str) -> tuple[str, AESGCM] | None:
        """The key id and key of a client whose key row was read before (see `_owners`)."""
        with self._lock:
            found = self._owners.get(client_id)
        if found is None or found[0] != code or found[2] < time.monotonic():
            return None
        aead = self._cached(found[1])
        return (found[1], aead) if aead is not None else None

    def remember_stored_key(self, client_id: int, code: str, key_id: str) -> None:
        """Only for a key read from the database (committed), never one made in a transaction
        that might yet roll back."""
        with self._lock:
            self._owners[client_id] = (code, key_id, time.monotonic() + CLIENT_KEY_TTL_SECONDS)
            self._owners.move_to_end(client_id)
            while len(self._owners) > CLIENT_KEY_CACHE:
                self._owners.popitem(last=False)

    def seal_client(self, aead: AESGCM, key_id: str, plaintext: bytes) -> str:
        return seal_with(aead, "c" + key_id, plaintext)

    # -- opening ------------------------------------------------------------------------------

    def open(self, value: str) -> bytes:
        envelope = parse(value)
        if envelope.ref.startswith("m"):
            master = self._masters.get(envelope.ref[1:])
            if master is None:
                raise KeyProblem(f"a value is sealed by master key {envelope.ref[1:]}, not set")
            return open_with(master, envelope)
        key_id = envelope.client_key_id
        if key_id is None:
            raise KeyProblem("a sealed value names no known kind of key")
        aead = self._cached(key_id) or self._load(key_id)
        return open_with(aead, envelope)

    def _load(self, key_id: str) -> AESGCM:
        stored = self.lookup(key_id) if self.lookup is not None else None
        if stored is None:
            raise KeyProblem("a value's client key is gone (the client was erased)")
        return self.client_aead(key_id, *stored)

    def _cached(self, key_id: str) -> AESGCM | None:
        with self._lock:
            found = self._clients.get(key_id)
            if found is None:
                return None
            aead, expires = found
            if expires < time.monotonic():
                del self._clients[key_id]
                return None
            self._clients.move_to_end(key_id)
            return aead

    def _remember(self, key_id: str, aead: AESGCM) -> None:
        with self._lock:
            self._clients[key_id] = (aead, time.monotonic() + CLIENT_KEY_TTL_SECONDS)
            while len(self._clients) > CLIENT_KEY_CACHE:
                self._clients.popitem(last=False)
