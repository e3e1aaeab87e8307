"""Check-ins over time (CLINICAL.md steps 9 and 10): the commands /checkin /pause /resume
/progress /urge, the effects of choosing a rhythm and keeping a diary, and the turns the
scheduler runs when a check-in or an urge-surfing step falls due.

The engine calls in here at a few fixed points (`FEATURE`, at the end); everything else about
the feature lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from dialogs.events import (
    Attachment,
    AttachmentKind,
    Delivery,
    Inbound,
    InboundKind,
    TurnOutcome,
)
from dialogs.model import DiaryLogged, Effect, RhythmSet
from dialogs.progress import chart_data, render_chart
from dialogs.rhythm import (
    NO_CHECKINS,
    TIMES_OF_DAY,
    first_due,
    following_due,
    is_quiet,
    local,
    local_day,
    morning_after,
    resumed_due,
    utc_offset_for,
)
from dialogs.turn import Feature, RunTurn, TurnContext
from storage import Database
from storage.scheduling import Claim, claim_due

CHECKIN, URGE = "checkin", "urge"
COMMANDS = ("checkin", "pause", "resume", "progress", "urge")
CHECKIN_TRIGGER = "checkin"  # a timed turn that starts a scheduled check-in
URGE_TRIGGER = "next"  # a timed turn that moves urge surfing on a step
URGE_STEPS_MINUTES = (1, 3, 6, 10)  # when each next step comes, from the start
# A scheduled check-in never interrupts these (an unanswered check-in is simply asked afresh):
# urge surfing, the safety flow (a tap must not dismiss a concern), confirming an erasure.
# Nor asking whether a person may write, nor while a person from the team holds the chat.
BUSY_FLOWS = (URGE, "safety", "forget", "privacy", "handoff")
PROGRESS_FILE = "progress.png"
DATE_FORMAT = "%A %d %B at %H:%M"
DIARY_DAY = "diary_day"  # context: the local day the diary note being written is about
URGE_STARTED = "urge_started"  # scratch: this turn started urge surfing afresh


# -- commands ----------------------------------------------------------------------------------


def command(run: TurnContext, name: str) -> None:
    """Handle one of this feature's commands."""
    if not run.client.consented:
        run.say("system/consent_first")
    elif name == "checkin":
        start_checkin(run, scheduled=False)
    elif name == "urge":
        start_urge(run)
    elif name == "progress":
        progress(run)
    else:
        pause_or_resume(run, paused=name == "pause")


def start_checkin(run: TurnContext, *, scheduled: bool) -> None:
    model = run.model
    if model.flow not in (CHECKIN, URGE, "menu"):
        model.context["paused"] = {"flow": model.flow, "state": model.state}
    model.facts["checkins"] = int(model.facts.get("checkins", 0)) + 1
    model.context["scheduled"] = scheduled
    run.move(CHECKIN, None)


def start_urge(run: TurnContext) -> None:
    store = run.store.rhythm
    store.cancel_timed(URGE)
    now = run.now()
    for minutes in URGE_STEPS_MINUTES:
        store.queue_timed(URGE, URGE_TRIGGER, now + timedelta(minutes=minutes))
    run.move(URGE, None)
    run.scratch[URGE_STARTED] = True


def progress(run: TurnContext) -> None:
    store = run.store.rhythm
    data = chart_data(store.scores(), store.diary())
    if data.empty:
        run.say("progress/empty")
        return
    png = render_chart(data, run.strings("chart"))
    run.say(
        "progress/chart",
        attachment=Attachment(AttachmentKind.PHOTO, PROGRESS_FILE, png),
    )


def pause_or_resume(run: TurnContext, *, paused: bool) -> None:
    store = run.store.rhythm
    schedule = store.schedule()
    if schedule is None or schedule.cadence == NO_CHECKINS:
        run.say("checkin/no_rhythm")
        return
    if paused:
        store.set_paused(True, None)
        run.say("checkin/paused")
        return
    offset = schedule.utc_offset_minutes
    due = resumed_due(run.now(), schedule.cadence, schedule.local_minute, offset)
    store.set_paused(False, due)
    run.say("checkin/resumed", next_due=_local_text(due, offset))


# -- hooks the engine calls --------------------------------------------------------------------


def redirect(run: TurnContext) -> bool:
    """During urge surfing, any typed message, media, command or Stop button stops the exercise.
    True when that is the whole turn (a command is still answered)."""
    inbound = run.inbound
    typed = inbound.kind in (InboundKind.TEXT, InboundKind.MEDIA)
    # The Stop button of any step's message, not only the newest one.
    stop = inbound.kind is InboundKind.CHOICE and (inbound.choice or "").endswith(":stop_urge")
    if run.model.flow != URGE or URGE_TRIGGER not in run.timed_triggers():
        return False
    if typed or stop:
        run.model.choice = "stop_urge"
        run.fire("stop_urge")
        return True
    if inbound.kind is InboundKind.COMMAND and inbound.text != "urge":
        # A command ends the exercise too, and says so, so no step looks as if more will come;
        # then the command is answered and "what would you like to do now?" asked after it.
        run.step("stop_urge")
    return False


def timer(run: TurnContext, trigger: str) -> None:
    """A timed turn: start a scheduled check-in, or take the next urge-surfing step."""
    model = run.model
    if trigger == CHECKIN_TRIGGER:
        start_checkin(run, scheduled=True)
        run.ask()
    elif model.flow == URGE and trigger in run.timed_triggers():
        run.fire(trigger)


def apply(run: TurnContext, effect: Effect) -> None:
    """Write this feature's effects (the engine writes the others)."""
    store = run.store.rhythm
    now = run.now()
    if isinstance(effect, RhythmSet):
        plan = _plan(effect, now)
        if plan is None:
            store.set_schedule(cadence=NO_CHECKINS, local_minute=0, utc_offset=0, next_due_at=None)
            return
        minute, offset, due = plan
        store.set_schedule(
            cadence=effect.cadence, local_minute=minute, utc_offset=offset, next_due_at=due
        )
    elif isinstance(effect, DiaryLogged):
        schedule = store.schedule()
        offset = schedule.utc_offset_minutes if schedule else 0
        day = local_day(now, offset)
        if effect.kind == "use" and effect.words is None:  # a tap starts today's note
            run.model.context[DIARY_DAY] = day.isoformat()
        elif kept := run.model.context.get(DIARY_DAY):  # the rest of it, even past midnight
            day = date.fromisoformat(str(kept))
        store.log_diary(day, effect.kind, effect.value, effect.words)


def after_turn(run: TurnContext) -> None:
    """Anything the client sends during urge surfing cancels the steps still to come."""
    in_urge = run.received_in[0] == URGE
    started = run.scratch.get(URGE_STARTED, False)
    if in_urge and run.inbound.kind is not InboundKind.TIMER and not started:
        run.store.rhythm.cancel_timed(URGE)


def template_values(run: TurnContext) -> dict[str, object]:
    """Values this feature's templates read."""
    next_due = None
    for effect in run.model.effects:
        if isinstance(effect, RhythmSet) and (plan := _plan(effect, run.now())):
            next_due = _local_text(plan[2], plan[1])
    return {"scheduled": run.model.context.get("scheduled", False), "next_due": next_due}


def _plan(effect: RhythmSet, now: datetime) -> tuple[int, int, datetime | None] | None:
    """(local minute, UTC offset, first due time) for a chosen rhythm; None for no check-ins."""
    if effect.cadence == NO_CHECKINS or effect.local_minute_now is None:
        return None
    offset = utc_offset_for(effect.local_minute_now, now)
    minute = TIMES_OF_DAY.get(effect.time_of_day or "", TIMES_OF_DAY["evening"])
    return minute, offset, first_due(now, effect.cadence, minute, offset)


def _local_text(when: datetime | None, offset: int) -> str | None:
    return local(when, offset).strftime(DATE_FORMAT) if when is not None else None


# -- the scheduler's side ----------------------------------------------------------------------


def send_due(
    db: Database,
    clock: Callable[[], datetime],
    run_turn: RunTurn,
    *,
    limit: int,
    channel: str | None,
) -> list[Delivery]:
    """Claim what has fallen due and queue it in the outbox, in one transaction (see
    storage/scheduling.py); `run_turn` runs each timed turn. Returns the clients with something
    new to deliver."""
    now = clock()
    deliveries: list[Delivery] = []
    with claim_due(db, now, limit=limit, channel=channel) as claims:
        for claim in claims:
            turn, outcomes, checked_in = claim.turn, [], False
            for timed in claim.timed or []:
                turn.rhythm.mark_timed(timed.id, "sent")
                outcomes.append(_timed_turn(claim, timed.trigger, clock, run_turn))
            if claim.checkin is not None:
                schedule = claim.checkin
                offset, cadence = schedule.utc_offset_minutes, schedule.cadence
                held = (current := turn.handoff.current()) is not None and current.held
                busy = held or (turn.dialog is not None and turn.dialog.flow in BUSY_FLOWS)
                if is_quiet(now, offset):  # night where they are: the morning instead
                    turn.rhythm.advance(morning_after(now, offset), sent=False)
                    continue
                if not busy:
                    outcomes.append(_timed_turn(claim, CHECKIN_TRIGGER, clock, run_turn))
                    checked_in = bool(outcomes[-1].replies)
                due = following_due(now, cadence, schedule.local_minute, offset)
                turn.rhythm.advance(due, sent=not busy)
            if any(outcome.replies for outcome in outcomes):
                deliveries.append(
                    Delivery(
                        turn.client.id,
                        claim.channel,
                        claim.external_id,
                        path=tuple(step for outcome in outcomes for step in outcome.path),
                        replies=tuple(reply for outcome in outcomes for reply in outcome.replies),
                        said_in=tuple(flow for outcome in outcomes for flow in outcome.said_in),
                        checkin=checked_in,
                    )
                )
    return deliveries


def _timed_turn(
    claim: Claim, trigger: str, clock: Callable[[], datetime], run_turn: RunTurn
) -> TurnOutcome:
    now = clock()
    inbound = Inbound(claim.channel, claim.external_id, InboundKind.TIMER, text=trigger, at=now)
    return run_turn(claim.turn, inbound)


FEATURE = Feature(
    name="checkins",
    commands=dict.fromkeys(COMMANDS, command),
    timer=timer,
    redirect=redirect,
    template_values=template_values,
    apply=apply,
    after_effects=after_turn,
    send_due=send_due,
)
