"""What the dashboard reads and writes about clients. Only clients who gave consent and
agreed to counselor review are ever visible: every query here goes through `_visible`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import escape as markup_escape
from sqlalchemy import ColumnElement, and_, case, delete, func, or_, true
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from prompts import html_to_plain
from prompts.fidelity import MiMetrics, mi_metrics
from storage import Database
from storage.handoff import WAITING, HandoffView, open_handoff
from storage.models import (
    Client,
    DialogState,
    Goal,
    Handoff,
    RulerScore,
    SafetyEvent,
    TranscriptEvent,
    utcnow,
)
from storage.review_models import ClientNote, ClientReview, ClientTag, Counselor

PAGE_SIZE = 100
TRANSCRIPT_LIMIT = 2000  # the newest events shown on a client page
SEARCH_LIMIT = 50
SEARCH_MIN, SEARCH_MAX = 2, 200
NOTE_MAX = 5000
TAG = re.compile(r"[\w][\w \-]{0,31}")
SNIPPET = 60  # characters either side of a search match
SORTS = ("triage", "activity", "code", "flags", "unread")
# The triage queue's tiers, most urgent first.
SAFETY, PERSON, UNREAD, REST = 0, 1, 2, 3  # PERSON: asking for a person (issue 12)


class NotVisible(LookupError):
    """No such client, or one the dashboard may not show."""


def _visible() -> ColumnElement[bool]:
    return and_(col(Client.consent) == "given", col(Client.review_consent) == true())


@dataclass(frozen=True)
class ClientRow:
    code: str
    last_active_at: datetime
    flow: str | None
    state: str | None
    goal: str | None
    safety_events: int  # since the last review
    unread: int
    reviewed_at: datetime | None
    tags: tuple[str, ...] = ()
    safety_newest_at: datetime | None = None
    waiting_since: datetime | None = None  # the oldest thing not yet reviewed
    tier: int = REST

    @property
    def reason(self) -> str:
        """Why the client is where they are in the queue."""
        if self.tier == SAFETY:
            n = self.safety_events
            return f"{n} safety event{'s' if n > 1 else ''} not yet reviewed"
        if self.tier == PERSON:
            return "asking for a person: said yes in the bot"
        if self.tier == UNREAD:
            return f"{self.unread} unread message{'s' if self.unread > 1 else ''}"
        return "nothing new since the last review"


@dataclass(frozen=True)
class Listing:
    rows: list[ClientRow]
    page: int
    more: bool


def client_rows(
    db: Database,
    *,
    sort: str = "triage",
    flagged: bool = False,
    unreviewed: bool = False,
    inactive_days: int | None = None,
    page: int = 1,
) -> Listing:
    """One page of visible clients with their flags, sorted and filtered. The flags are
    correlated subqueries on indexed columns: for the default order only the page's rows are
    counted, and no query reads every client's transcript at once."""
    me = col(Client.id)
    # Correlated to the client row explicitly: nested one level deeper (in the unread count),
    # SQLAlchemy would otherwise correlate it to the transcript query and lose the client.
    reviewed_upto = (
        sa_select(col(ClientReview.last_event_id))
        .where(col(ClientReview.client_id) == me)
        .order_by(col(ClientReview.id).desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )
    reviewed_at = (
        sa_select(col(ClientReview.created_at))
        .where(col(ClientReview.client_id) == me)
        .order_by(col(ClientReview.id).desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )
    after_review = and_(
        col(TranscriptEvent.client_id) == me,
        col(TranscriptEvent.id) > func.coalesce(reviewed_upto, 0),
    )
    n_unread = (
        sa_select(func.count()).select_from(TranscriptEvent).where(after_review).scalar_subquery()
    )
    # An aggregate over the client's rows (their index), not ORDER BY id LIMIT 1, which
    # PostgreSQL would answer by walking the whole transcript's primary key.
    oldest_unread = (
        sa_select(func.min(TranscriptEvent.created_at)).where(after_review).scalar_subquery()
    )
    # A safety event is new if its message came after the review (or, with no message, the
    # event itself did).
    safety_new = and_(
        col(SafetyEvent.client_id) == me,
        or_(
            col(SafetyEvent.transcript_event_id) > func.coalesce(reviewed_upto, 0),
            and_(
                col(SafetyEvent.transcript_event_id).is_(None),
                or_(reviewed_at.is_(None), col(SafetyEvent.created_at) > reviewed_at),
            ),
        ),
    )
    # Said yes in the bot to a person writing, and nobody has taken the chat yet.
    asking_since = (
        sa_select(func.min(Handoff.agreed_at))
        .where(col(Handoff.client_id) == me, col(Handoff.status) == WAITING)
        .scalar_subquery()
    )
    asking = (
        sa_select(col(Handoff.id))
        .where(col(Handoff.client_id) == me, col(Handoff.status) == WAITING)
        .exists()
    )
    n_safety = sa_select(func.count()).select_from(SafetyEvent).where(safety_new).scalar_subquery()
    newest_safety = sa_select(func.max(SafetyEvent.created_at)).where(safety_new).scalar_subquery()
    oldest_safety = sa_select(func.min(SafetyEvent.created_at)).where(safety_new).scalar_subquery()
    # The order needs only whether there is something new (EXISTS stops at the first row);
    # the counts are computed for the page's rows alone.
    any_safety = sa_select(col(SafetyEvent.id)).where(safety_new).exists()
    any_unread = sa_select(col(TranscriptEvent.id)).where(after_review).exists()
    tier = case((any_safety, SAFETY), (asking, PERSON), (any_unread, UNREAD), else_=REST)
    waiting = case(
        (any_safety, oldest_safety),
        (asking, asking_since),
        (any_unread, oldest_unread),
        else_=None,
    )
    goal = (
        sa_select(col(Goal.words))
        .where(col(Goal.client_id) == me, col(Goal.kind) == "change", col(Goal.status) == "active")
        .order_by(col(Goal.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    query: Any = (
        sa_select(
            me,
            col(Client.code),
            col(Client.last_active_at),
            col(DialogState.flow),
            col(DialogState.state),
            goal,
            n_safety,
            n_unread,
            reviewed_at,
            newest_safety,
            waiting,
            tier,
        )
        .select_from(Client)
        .outerjoin(DialogState, col(DialogState.client_id) == me)
        .where(_visible())
    )
    if flagged:  # any safety event, reviewed or not
        query = query.where(
            sa_select(col(SafetyEvent.id)).where(col(SafetyEvent.client_id) == me).exists()
        )
    if unreviewed:
        query = query.where(any_unread)
    if inactive_days is not None:
        query = query.where(col(Client.last_active_at) < utcnow() - timedelta(days=inactive_days))
    orders: dict[str, list[Any]] = {
        # Safety first, then asking for a person, then unread; the longest waiting first
        # within each; then the rest.
        "triage": [tier, waiting.asc(), col(Client.last_active_at).desc()],
        "activity": [col(Client.last_active_at).desc()],
        "code": [col(Client.code)],
        "flags": [n_safety.desc(), n_unread.desc(), col(Client.last_active_at).desc()],
        "unread": [n_unread.desc(), col(Client.last_active_at).desc()],
    }
    order = orders[sort if sort in SORTS else "triage"]
    page = max(page, 1)
    # Ties newest-first too, so the activity order is read straight off its index.
    query = query.order_by(*order, col(Client.id).desc()).offset((page - 1) * PAGE_SIZE)
    with Session(db.engine) as session:
        rows = session.execute(query.limit(PAGE_SIZE + 1)).all()
        ids = [r[0] for r in rows[:PAGE_SIZE]]
        tags: dict[int, list[str]] = {}
        for client_id, tag in session.execute(
            select(ClientTag.client_id, ClientTag.tag)
            .where(col(ClientTag.client_id).in_(ids))
            .order_by(col(ClientTag.tag))
        ).all():
            tags.setdefault(client_id, []).append(tag)
    return Listing(
        rows=[
            ClientRow(
                code=r[1],
                last_active_at=r[2],
                flow=r[3],
                state=r[4],
                goal=r[5],
                safety_events=r[6],
                unread=r[7],
                reviewed_at=r[8],
                tags=tuple(tags.get(r[0], ())),
                safety_newest_at=r[9],
                waiting_since=r[10],
                tier=r[11],
            )
            for r in rows[:PAGE_SIZE]
        ],
        page=page,
        more=len(rows) > PAGE_SIZE,
    )


# -- one client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyView:
    at: datetime
    category: str
    signal: str
    flow: str
    state: str
    transcript_event_id: int | None


@dataclass(frozen=True)
class Line:
    """One message of the transcript, as plain text."""

    id: int
    at: datetime
    direction: str
    kind: str
    text: str
    choice: str | None
    flow: str
    state: str
    template: str | None
    mi_code: str | None
    unread: bool
    safety: tuple[SafetyView, ...] = ()
    author: str | None = None  # a counselor who wrote it (through the bot); None: client or bot

    @property
    def who(self) -> str:
        """Who wrote it: the client, the bot, or the counselor by name."""
        if self.author:
            return self.author
        return "Bot" if self.direction == "out" else "Client"


@dataclass(frozen=True)
class GoalLine:
    kind: str
    option: str | None
    words: str
    status: str
    created_at: datetime
    replaced_at: datetime | None


@dataclass(frozen=True)
class Score:
    ruler: str
    score: int
    at: datetime


@dataclass(frozen=True)
class Note:
    author: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Review:
    by: str
    at: datetime


@dataclass
class ClientPage:
    id: int
    code: str
    created_at: datetime
    consented_at: datetime | None
    last_active_at: datetime
    flow: str | None
    state: str | None
    lines: list[Line]
    earlier: int  # events older than those shown
    safety: list[SafetyView]
    goals: list[GoalLine]
    scores: list[Score]
    tags: list[str]
    notes: list[Note]
    review: Review | None
    handoff: HandoffView | None = None  # a person from the team: offered, asked for, or writing
    metrics: MiMetrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = mi_metrics(  # the bot's side: a counselor's own messages are not coded
            (ln.mi_code, ln.text) for ln in self.lines if ln.direction == "out" and not ln.author
        )


def _client(session: Session, code: str) -> Client:
    client = session.exec(select(Client).where(Client.code == code, _visible())).first()
    if client is None or client.id is None:
        raise NotVisible(code)
    return client


def client_id(db: Database, code: str) -> int:
    with Session(db.engine) as session:
        found = _client(session, code).id
        assert found is not None
        return found


def client_page(db: Database, code: str, *, limit: int | None = TRANSCRIPT_LIMIT) -> ClientPage:
    """One visible client, with the newest `limit` transcript events (None: all of them)."""
    with Session(db.engine) as session:
        client = _client(session, code)
        cid = client.id
        review = session.execute(
            select(ClientReview, Counselor.username)
            .join(Counselor, col(Counselor.id) == ClientReview.counselor_id)
            .where(ClientReview.client_id == cid)
            .order_by(col(ClientReview.id).desc())
            .limit(1)
        ).first()
        upto = review[0].last_event_id if review else 0
        total = session.execute(
            select(func.count())
            .select_from(TranscriptEvent)
            .where(TranscriptEvent.client_id == cid)
        ).scalar_one()
        events = session.exec(
            select(TranscriptEvent)
            .where(TranscriptEvent.client_id == cid)
            .order_by(col(TranscriptEvent.id).desc())
            .limit(limit)
        ).all()
        safety = [
            SafetyView(s.created_at, s.category, s.signal, s.flow, s.state, s.transcript_event_id)
            for s in session.exec(
                select(SafetyEvent)
                .where(SafetyEvent.client_id == cid)
                .order_by(col(SafetyEvent.id))
            ).all()
        ]
        by_event: dict[int, list[SafetyView]] = {}
        for s in safety:
            if s.transcript_event_id is not None:
                by_event.setdefault(s.transcript_event_id, []).append(s)
        lines = [
            Line(
                id=e.id or 0,
                at=e.created_at,
                direction=e.direction,
                kind=e.kind,
                text=plain_text(e),
                choice=e.choice,
                flow=e.flow,
                state=e.state,
                template=e.template,
                mi_code=e.mi_code,
                unread=(e.id or 0) > upto,
                safety=tuple(by_event.get(e.id or 0, ())),
                author=e.author,
            )
            for e in reversed(events)
        ]
        goals = [
            GoalLine(g.kind, g.option, g.words, g.status, g.created_at, g.replaced_at)
            for g in session.exec(
                select(Goal).where(Goal.client_id == cid).order_by(col(Goal.id))
            ).all()
        ]
        scores = [
            Score(s.ruler, s.score, s.created_at)
            for s in session.exec(
                select(RulerScore)
                .where(RulerScore.client_id == cid)
                .order_by(col(RulerScore.created_at), col(RulerScore.id))
            ).all()
        ]
        tags = list(
            session.exec(
                select(ClientTag.tag).where(ClientTag.client_id == cid).order_by(col(ClientTag.tag))
            ).all()
        )
        notes = [
            Note(author, n.text, n.created_at)
            for n, author in session.execute(
                select(ClientNote, Counselor.username)
                .join(Counselor, col(Counselor.id) == ClientNote.counselor_id)
                .where(ClientNote.client_id == cid)
                .order_by(col(ClientNote.id).desc())
            ).all()
        ]
        dialog = session.get(DialogState, cid)
        return ClientPage(
            id=cid or 0,
            code=client.code,
            created_at=client.created_at,
            consented_at=client.consented_at,
            last_active_at=client.last_active_at,
            flow=dialog.flow if dialog else None,
            state=dialog.state if dialog else None,
            lines=lines,
            earlier=max(total - len(lines), 0),
            safety=safety,
            goals=goals,
            scores=scores,
            tags=tags,
            notes=notes,
            review=Review(review[1], review[0].created_at) if review else None,
            handoff=open_handoff(session, cid or 0),
        )


def plain_text(event: TranscriptEvent) -> str:
    """The message as plain text: the bot's replies are stored as Telegram HTML."""
    text = event.text or ""
    return html_to_plain(text) if event.direction == "out" else text


def export(page: ClientPage) -> dict[str, Any]:
    """A client's record as JSON-ready data (the counselors' private notes stay out)."""
    return {
        "client": page.code,
        "exported_at": utcnow().isoformat(),
        "transcript": [
            {
                "at": ln.at.isoformat(),
                "direction": ln.direction,
                "from": ln.who,
                "kind": ln.kind,
                "text": ln.text,
                "choice": ln.choice,
                "flow": ln.flow,
                "state": ln.state,
                "template": ln.template,
                "mi_code": ln.mi_code,
            }
            for ln in page.lines
        ],
        "earlier_events_not_included": page.earlier,
        "safety_events": [
            {
                "at": s.at.isoformat(),
                "category": s.category,
                "signal": s.signal,
                "flow": s.flow,
                "state": s.state,
            }
            for s in page.safety
        ],
        "goals": [
            {
                "kind": g.kind,
                "option": g.option,
                "words": g.words,
                "status": g.status,
                "set_at": g.created_at.isoformat(),
                "replaced_at": g.replaced_at.isoformat() if g.replaced_at else None,
            }
            for g in page.goals
        ],
        "rulers": [
            {"ruler": s.ruler, "score": s.score, "at": s.at.isoformat()} for s in page.scores
        ],
        "tags": page.tags,
    }


# -- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    code: str
    event_id: int
    at: datetime
    direction: str
    before: str
    match: str
    after: str
    author: str | None = None  # the counselor who wrote it, for a message from a person


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    page: int
    more: bool


def search(db: Database, query: str, *, page: int = 1, limit: int = SEARCH_LIMIT) -> Found:
    """Transcript messages of visible clients that contain `query`: the clients' own words
    first, then the bot's, each newest first, `limit` a page. The query is a literal: `%`, `_`
    and `\\` match themselves. The bot's replies are stored as Telegram HTML, so they are also
    matched in the escaped form their values were stored in (`it&#39;s`)."""
    needle = " ".join(query.split())[:SEARCH_MAX]
    page = max(page, 1)
    if len(needle) < SEARCH_MIN:
        return Found([], page, False)
    escaped_forms = {str(markup_escape(needle)), html.escape(needle)} - {needle}
    theirs_first = case((col(TranscriptEvent.direction) == "in", 0), else_=1)
    if db.keys.enabled:
        return _search_sealed(db, needle, escaped_forms, theirs_first, page, limit)
    text = col(TranscriptEvent.text)
    bots = col(TranscriptEvent.direction) == "out"
    matches: list[ColumnElement[bool]] = [text.ilike(_pattern(needle), escape="\\")]
    for escaped in escaped_forms:
        matches.append(and_(bots, text.ilike(_pattern(escaped), escape="\\")))
    with Session(db.engine) as session:
        rows = session.execute(
            select(TranscriptEvent, Client.code)
            .join(Client, col(Client.id) == TranscriptEvent.client_id)
            .where(_visible(), or_(*matches))
            .order_by(theirs_first, col(TranscriptEvent.id).desc())
            .offset((page - 1) * limit)
            .limit(limit + 1)
        ).all()
    return Found(
        [_hit(event, code, needle) for event, code in rows[:limit]], page, len(rows) > limit
    )


SEALED_SCAN_BATCH = 1000  # transcript rows fetched (and opened) at a time


def _search_sealed(
    db: Database,
    needle: str,
    escaped_forms: set[str],
    order: Any,
    page: int,
    limit: int,
) -> Found:
    """Search when the words are sealed at rest: the database cannot match them, so the
    visible clients' messages are read in the search's order, opened here and matched as
    the SQL would have (case-insensitively; the bot's HTML also in its escaped form), stopping
    once the page is full. The cost grows with the transcripts read before the page is full
    (docs/architecture.md weighs this against a blind index of words)."""
    wanted = [needle.lower()]
    forms = [f.lower() for f in escaped_forms]
    skip, found = (page - 1) * limit, []
    query = (
        sa_select(
            col(TranscriptEvent.id),
            col(TranscriptEvent.created_at),
            col(TranscriptEvent.direction),
            col(TranscriptEvent.text),
            col(TranscriptEvent.author),
            col(Client.code),
        )
        .join(Client, col(Client.id) == TranscriptEvent.client_id)
        .where(_visible(), col(TranscriptEvent.text).is_not(None))
        .order_by(order, col(TranscriptEvent.id).desc())
        .execution_options(yield_per=SEALED_SCAN_BATCH)
    )
    with Session(db.engine) as session:
        for event_id, at, direction, text, author, code in session.execute(query):
            lowered = text.lower()
            candidates = wanted + forms if direction == "out" else wanted
            if not any(c in lowered for c in candidates):
                continue
            if skip:
                skip -= 1
                continue
            event = TranscriptEvent(
                id=event_id,
                client_id=0,
                direction=direction,
                kind="text",
                text=text,
                flow="",
                state="",
                author=author,
                created_at=at,
            )
            found.append(_hit(event, code, needle))
            if len(found) > limit:
                break
    return Found(found[:limit], page, len(found) > limit)


def _pattern(words: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", words) + "%"


def _hit(event: TranscriptEvent, code: str, needle: str) -> Hit:
    text = " ".join(plain_text(event).split())
    at = text.lower().find(needle.lower())
    if at < 0:  # matched only inside markup: show the start
        return Hit(
            code, event.id or 0, event.created_at, event.direction, "", "", text[:120], event.author
        )
    end = at + len(needle)
    return Hit(
        code,
        event.id or 0,
        event.created_at,
        event.direction,
        ("…" if at > SNIPPET else "") + text[max(at - SNIPPET, 0) : at],
        text[at:end],
        text[end : end + SNIPPET] + ("…" if len(text) > end + SNIPPET else ""),
        event.author,
    )


# -- writes ----------------------------------------------------------------------------------


class Refused(ValueError):
    """Input the dashboard does not take, with a message fit to show."""


def add_note(session: Session, cid: int, counselor_id: int, text: str) -> None:
    words = text.strip()
    if not words:
        raise Refused("The note is empty.")
    if len(words) > NOTE_MAX:
        raise Refused(f"A note holds at most {NOTE_MAX:,} characters.")
    session.add(ClientNote(client_id=cid, counselor_id=counselor_id, text=words))


def clean_tag(tag: str) -> str:
    words = " ".join(tag.split()).lower()
    if not TAG.fullmatch(words):
        raise Refused("A tag is 1-32 letters, digits, spaces or dashes.")
    return words


def add_tag(session: Session, cid: int, counselor_id: int, tag: str) -> bool:
    """False if the client already has the tag."""
    try:
        with session.begin_nested():
            session.add(ClientTag(client_id=cid, counselor_id=counselor_id, tag=tag))
    except IntegrityError:
        return False
    return True


def remove_tag(session: Session, cid: int, tag: str) -> None:
    session.execute(
        delete(ClientTag).where(col(ClientTag.client_id) == cid, col(ClientTag.tag) == tag)
    )


def mark_reviewed(session: Session, cid: int, counselor_id: int, seen: int) -> None:
    """Reviewed up to `seen`, the newest message the counselor was shown: anything newer stays
    unread. Never past the client's newest message, never back before an earlier review."""
    newest = session.execute(
        select(func.coalesce(func.max(TranscriptEvent.id), 0)).where(
            TranscriptEvent.client_id == cid
        )
    ).scalar_one()
    before = session.execute(
        select(func.coalesce(func.max(ClientReview.last_event_id), 0)).where(
            ClientReview.client_id == cid
        )
    ).scalar_one()
    upto = max(min(seen, newest), before)
    session.add(ClientReview(client_id=cid, counselor_id=counselor_id, last_event_id=upto))
