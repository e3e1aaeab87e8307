"""`alongside review`, `alongside counselor ...` and `alongside audit`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from review.config import ReviewSettings
    from storage import Database


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("review", help="serve the counselors' review dashboard")
    counselor = commands.add_parser("counselor", help="manage dashboard accounts")
    actions = counselor.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an account (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="may manage accounts and read the audit")
    actions.add_parser("list", help="list the accounts")
    for name, what in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "enable a disabled account"),
        ("reset-password", "set a new password and end the account's sessions"),
    ):
        actions.add_parser(name, help=what).add_argument("name")
    show = commands.add_parser("audit", help="print the newest audit log entries")
    show.add_argument("--limit", type=int, default=50)


COMMANDS = frozenset({"review", "counselor", "audit"})


def run(args: argparse.Namespace, db: Database, settings: ReviewSettings) -> int:
    if args.command == "review":
        from review.server import serve

        try:
            serve(db, settings)
        except OSError as error:
            print(
                f"alongside: cannot listen on {settings.host}:{settings.port}: {error.strerror}",
                file=sys.stderr,
            )
            return 1
        return 0
    if args.command == "audit":
        return _audit(db, args.limit, sys.stdout)
    return _counselor(args, db)


def _counselor(args: argparse.Namespace, db: Database) -> int:
    from review import accounts, audit

    actor = f"{audit.COMMAND_LINE} ({getpass.getuser()})"
    where = "local"
    try:
        if args.action == "list":
            for a in accounts.accounts(db):
                state = "active" if a.active else "disabled"
                print(f"{a.username}\t{a.role}\t{state}\tsince {a.created_at:%Y-%m-%d}")
        elif args.action == "add":
            role = "admin" if args.admin else "counselor"
            made = accounts.add(db, args.name, _password(), role=role, actor=actor, address=where)
            print(f"added {made.username} ({made.role})")
        elif args.action in ("disable", "enable"):
            changed = accounts.set_active(
                db, args.name, args.action == "enable", actor=actor, address=where
            )
            print(f"{changed.username} is {'active' if changed.active else 'disabled'}")
        else:
            accounts.reset_password(db, args.name, _password(), actor=actor, address=where)
            print(f"new password set for {args.name.strip().lower()}; their sessions ended")
    except accounts.AccountError as error:
        print(f"alongside: {error}", file=sys.stderr)
        return 1
    return 0


def _password() -> str:
    """Asked twice on a terminal (never echoed); one line of stdin when scripted."""
    from review.accounts import AccountError

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Same password again: ") != first:
            raise AccountError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _audit(db: Database, limit: int, out: TextIO) -> int:
    from review import audit

    for e in reversed(audit.recent(db, limit=max(1, min(limit, 10_000)))):
        fields = [
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.actor,
            e.action,
            e.client_code or "-",
            e.detail or "-",
            e.address,
        ]
        print("\t".join(fields), file=out)
    return 0
