"""`alongside keys new|rotate`, `alongside backup` and `alongside restore`, and the check at
start that the clients' words will be encrypted (storage.keyring)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.settings import Settings
from storage.keyring import KeyProblem, KeyRing, new_key

log = logging.getLogger("alongside")
COMMANDS = frozenset({"keys", "backup", "restore"})
PLAINTEXT_WARNING = (
    "ALONGSIDE_DATA_KEY is not set: clients' messages are stored in plain text. "
    "Fine for development; `alongside keys new` makes a key."
)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="the data keys that encrypt clients' words")
    actions = keys.add_subparsers(dest="action", required=True)
    actions.add_parser("new", help="print a fresh key for ALONGSIDE_DATA_KEY")
    rotate = actions.add_parser(
        "rotate", help="move everything onto the current key and seal older plaintext"
    )
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    backup = commands.add_parser("backup", help="write an encrypted backup of the database")
    backup.add_argument("path", type=Path)
    restore = commands.add_parser(
        "restore", help="replace the database with an encrypted backup (stop the bot first)"
    )
    restore.add_argument("path", type=Path)


def keys_for_start(settings: Settings, *, on_telegram: bool) -> KeyRing | None:
    """The keys, or None if the bot must not start: on Telegram a missing key is refused
    unless ALONGSIDE_ALLOW_PLAINTEXT=true; elsewhere it is a warning."""
    try:
        ring = settings.key_ring()
    except KeyProblem as problem:
        print(f"alongside: {problem}", file=sys.stderr)
        return None
    if ring.enabled:
        return ring
    if on_telegram and not settings.allow_plaintext:
        print(
            "alongside: refusing to start on Telegram without ALONGSIDE_DATA_KEY (clients' "
            "messages would be stored in plain text). Set a key (`alongside keys new` makes "
            "one), or ALONGSIDE_ALLOW_PLAINTEXT=true to accept that.",
            file=sys.stderr,
        )
        return None
    log.warning(PLAINTEXT_WARNING)
    return ring


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "keys" and args.action == "new":
        print(new_key())
        return 0
    from storage import Database
    from storage.backup import BackupProblem, backup, restore
    from storage.rotation import rotate

    try:
        ring = settings.key_ring()
        if args.command == "keys":
            db = Database(settings.database_url, keys=ring)
            db.migrate()
            done = rotate(db, batch=max(args.batch, 1), progress=print)
            sealed = sum(done.values_sealed.values())
            print(f"done: {done.keys_rewrapped} client keys re-wrapped, {sealed} rows sealed")
        elif args.command == "backup":
            backup(settings.database_url, ring, args.path)
            print(f"backup written to {args.path}")
        else:
            again = restore(settings.database_url, ring, args.path)
            print(f"restored from {args.path}; {again} clients erased since were erased again")
    except (KeyProblem, BackupProblem) as problem:
        print(f"alongside: {problem}", file=sys.stderr)
        return 1
    return 0
