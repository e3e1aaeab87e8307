"""`alongside`: run the bot, chat in the terminal, migrate, check and draw the flows; serve the
review dashboard and manage its accounts."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError

from bot import privacy_cli
from bot.logs import configure_logging
from bot.settings import Settings
from review import cli as review_cli
from review.config import ReviewSettings

if TYPE_CHECKING:
    from bot.app import Services
    from review.server import Beside

log = logging.getLogger("alongside")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="alongside", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="start the Telegram bot (the terminal chat when TELEGRAM_BOT_TOKEN is unset)"
    )
    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--as", dest="client", default=None, help="who you are (default: your login)")
    chat.add_argument(
        "--clock", action="store_true", help="let /clock +1d move time, to see check-ins come"
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    flows = commands.add_parser("flows", help="check the flows and templates; --mermaid draws them")
    flows.add_argument("--mermaid", action="store_true")
    fidelity = commands.add_parser(
        "fidelity", help="MI fidelity of the scripted conversations, per flow and overall"
    )
    fidelity.add_argument(
        "--show",
        nargs="*",
        metavar="SCRIPT",
        help="print the conversations instead (all, or the scripts whose names contain SCRIPT)",
    )
    review_cli.add_commands(commands)
    privacy_cli.add_commands(commands)
    args = parser.parse_args(argv)

    try:
        settings = Settings()
        review = ReviewSettings()
    except ValidationError as error:
        print(f"alongside: configuration error:\n{error}", file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level, settings.secrets(), json_lines=settings.log_format == "json"
    )

    if args.command == "flows":
        return _flows(args.mermaid)
    if args.command == "fidelity":
        return _fidelity(args.show)
    if args.command in privacy_cli.COMMANDS:
        return privacy_cli.run(args, settings)
    on_telegram = args.command == "run" and settings.telegram_bot_token is not None
    keys = privacy_cli.keys_for_start(settings, on_telegram=on_telegram)
    if keys is None:
        return 2
    if args.command == "migrate":
        from storage import Database

        Database(settings.database_url, keys=keys).migrate()
        log.info("database schema is up to date")
        return 0
    if args.command in review_cli.COMMANDS:
        from storage import Database

        db = Database(settings.database_url, keys=keys)
        db.migrate()
        return review_cli.run(args, db, review)

    from bot.app import build_services
    from dialogs import FlowError

    try:
        services = build_services(settings, keys=keys)
    except FlowError as error:
        print(f"alongside: a flow failed its checks: {error}", file=sys.stderr)
        return 1
    if args.command == "run" and settings.telegram_bot_token is not None:
        from bot.telegram import run_bot

        code = 0 if run_bot(services, beside=_beside(services, review)) else 1
        _exit_now(code)
    if args.command == "run":
        log.info("TELEGRAM_BOT_TOKEN is not set: opening the conversation in this terminal")
        beside = _beside(services, review)
        if beside is not None:
            beside.start_thread()
        try:
            return _chat(services, None)
        finally:
            if beside is not None:
                beside.stop_thread()
    return _chat(services, args.client, args.clock)


def _exit_now(code: int) -> NoReturn:
    """Exit once the bot has stopped, without the interpreter's teardown: everything that must
    last is in the database by now, and collecting the learnt models' memory took seconds on a
    busy machine, past the 10 s `docker stop` gives after SIGTERM."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _beside(services: Services, review: ReviewSettings) -> Beside | None:
    """The review dashboard, served beside the bot unless ALONGSIDE_REVIEW_ENABLED=false."""
    from review.server import Beside

    return Beside(services.db, review) if review.enabled else None


def _chat(services: Services, client: str | None, movable_clock: bool = False) -> int:
    from bot.terminal import TerminalChat
    from dialogs.rhythm import ShiftedClock

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    clock = ShiftedClock() if movable_clock else None
    if clock is not None:
        services.conversation.clock = clock
    chat = TerminalChat(services.conversation, client or getpass.getuser(), sys.stdout, clock=clock)
    try:
        chat.run(sys.stdin)
    except KeyboardInterrupt:
        print()
    return 0


def _flows(mermaid: bool) -> int:
    from dialogs import FlowError, load_flows
    from dialogs.engine import REQUIRED_FLOWS
    from prompts import Renderer

    try:
        flows = load_flows(Renderer(), required=REQUIRED_FLOWS)
    except FlowError as error:
        print(f"alongside: {error}", file=sys.stderr)
        return 1
    if mermaid:
        print(flows.mermaid(), end="")
    else:
        for name, flow in flows.flows.items():
            print(
                f"{name}: {len(flow.spec.states)} states, {len(flow.spec.transitions)} transitions"
            )
    return 0


def _fidelity(show: list[str] | None) -> int:
    from bot.fidelity import format_report, measure, script_paths, transcripts

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    if show is not None:
        paths = [p for p in script_paths() if not show or any(s in p.stem for s in show)]
        print(transcripts(paths), end="")
        return 0
    report = measure()
    print(format_report(report), end="")
    return 0 if report.overall.non_adherent == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
