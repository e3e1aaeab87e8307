"""Files sent with a reply (the client's data as JSON, a progress picture): queued in the same
outbox as text, delivered in order, and not kept once delivered."""

from __future__ import annotations

import io
import stat
from pathlib import Path

from sqlmodel import Session, select

from bot.terminal import TerminalChat
from dialogs import Conversation
from storage import Database
from storage.models import OutboxMessage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
DATA = b'{"goals": ["less on weeknights"]}'


def queue_files(db: Database, channel: str, external_id: str) -> None:
    with db.turn(channel, external_id) as turn:
        for text, attachment in (
            ("Here is your picture.", ("photo", "progress.png", PNG)),
            ("Here is everything I keep about you.", ("document", "my-data.json", DATA)),
        ):
            turn.queue_reply(
                text=text,
                choices=[],
                template="t",
                mi_code="ST",
                flow="menu",
                state="open",
                record=True,
                attachment=attachment,
            )


def stored_attachments(db: Database) -> list[bytes | None]:
    with Session(db.engine) as session:
        return list(session.exec(select(OutboxMessage.attachment).order_by(OutboxMessage.id)))


def test_a_file_waits_in_the_outbox_and_is_cleared_once_sent(db: Database) -> None:
    queue_files(db, "test", "7")
    photo, document = db.pending_outbox()
    assert photo.attachment == ("photo", "progress.png", PNG)
    assert document.attachment == ("document", "my-data.json", DATA)
    assert "PNG" not in repr(photo) and "weeknights" not in repr(document)

    db.mark_sent(photo.id)
    assert stored_attachments(db) == [None, DATA]


def test_the_terminal_saves_a_file_only_its_user_can_read(
    conversation: Conversation, tmp_path: Path
) -> None:
    out = io.StringIO()
    chat = TerminalChat(conversation, "sam", out, files_dir=tmp_path / "files")
    queue_files(conversation.db, "terminal", "sam")
    client_id = conversation.db.pending_outbox()[0].client_id

    chat.deliver(client_id)

    saved = tmp_path / "files" / "my-data.json"
    assert saved.read_bytes() == DATA
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert f"[document saved to {saved}]" in out.getvalue()
    assert "Here is your picture." in out.getvalue()
