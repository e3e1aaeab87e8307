"""The understanding step in a turn: what the engine does with what a client's text means, after
the safety screen and before the state's own handler.

The client steers. "can we stop" ends the turn kindly with no new question; a question gets its
answer from the knowledge base before the pending question comes back; "i just want to talk"
is met by listening; frustration gets an honest word and a choice; a correction is taken; "i
told u" uses what was told; a yes, no, not sure or "safer" typed where buttons were offered is
read as that button; a feeling typed at a button question is met as a feeling. Every word said
is still a template: this module only chooses which."""

from __future__ import annotations

import re
from typing import Final

from dialogs.model import DialogModel, GoalSet
from dialogs.turn import TurnContext
from dialogs.understanding import Intent, Polarity, Talk, Understanding, understand
from dialogs.understanding import warm_up as learn_understanding
from dialogs.understanding.knowledge import answer_template
from dialogs.understanding.subjects import family, find_subject, own_name
from dialogs.understanding.themes import themes

# Flows that read their own answers: before consent, the safety flow, an erasure being confirmed.
OWN_ANSWERS: Final = frozenset({"welcome", "safety", "forget"})
LISTEN, STEER, WELCOME = "listen", "steer", "welcome"
SCORE = "score"  # the trigger a ruler answer fires (dialogs/flows.py SCORE_TRIGGER)
STOPPED = "stopped"  # context flag: the client asked to stop; the next message picks up again
UNDERSTOOD = "understood"  # scratch: what this turn's open answer meant
ANSWERED = "answered"  # scratch: the (flow, state) whose open question it answered
SUBJECT_THEIRS = "subject_theirs"  # facts: the subject is in the client's own word
DEEPENED = "deepened"  # facts: deeper reflections said so far (each says a different line)
THEMES_SAID = "themes_said"  # facts: the themes reflected so far (each once a conversation)
# The themes a counselor would reflect after each open question, the likeliest first: what
# lies under the answer, in the bot's words (dialogs/understanding/themes.yaml).
DEEPER: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("agenda", "topic"): (
        *("pressure", "both", "safety", "amount", "lonely", "relief", "routine"),
        *("thinking", "curious", "night"),
    ),
    ("agenda", "hopes"): (
        *("both", "safety", "control", "money", "weary", "amount", "safer", "pressure"),
    ),
    ("agenda", "aim"): (
        "both",
        "safety",
        "control",
        "money",
        "weary",
        "amount",
        "safer",
        "pressure",
    ),
    ("relationship", "days"): ("routine", "relief", "time", "pressure"),
    ("relationship", "good"): ("relief", "enjoyment", "time"),
    ("information", "thoughts"): ("safety", "recognition", "news", "worry"),
    ("step", "ask"): ("instead", "distance", "one_day"),
    ("step", "smaller"): ("instead", "distance", "one_day"),
    ("checkin", "step_words"): ("instead", "distance", "one_day"),
    ("checkin", "helped"): ("people", "plan"),
    ("checkin", "in_the_way"): ("occasion", "weary", "pressure", "lonely"),
    ("checkin", "learned"): ("lonely", "weary", "people"),
    ("listen", "open"): ("lonely", "pressure", "weary", "relief", "both", "amount", "worry"),
    ("listen", "more"): ("lonely", "pressure", "weary", "relief", "both", "amount", "worry"),
}
REVIEW_NO = "review_no"  # the counselors question's "No, thank you"
REVIEW_ASSUMED = "review_assumed"  # facts, for one turn: the bot took no for an answer
INFORMED = "informed"  # context: the last turn answered a question, buttons shown again
LAST_ANSWER = "last_answer"  # context: the words key of the last open answer (for corrections)
GOAL_KINDS: Final = frozenset({"change", "first_step", "meaning_step"})
GOAL_STATES: Final = frozenset(  # where the answer is kept as a goal or a step, in their words
    {("change", "own_words"), ("step", "ask"), ("checkin", "step_words"), ("meaning", "step")}
)

# A typed yes, no, not sure or "safer", as the key of whichever button means it here.
POLARITY_KEYS: Final[dict[Polarity, tuple[str, ...]]] = {
    Polarity.YES: (
        "yes",
        "info_yes",
        "diary_yes",
        "review_yes",
        "person_yes",
        "agree",
        "activity_done",
        "explore",
        "doable",
        "resume",  # "yes" to "what would you like to do now?": carry on
    ),
    Polarity.NO: (
        "no",
        "info_no",
        "diary_no",
        "review_no",
        "person_no",
        "decline",
        "not_now",
        "activity_none",
        "no_checkins",
        "rest",  # "nah" to "what would you like to do now?": that's enough
    ),
    Polarity.UNSURE: ("unsure", "tell_more", "leave_it", "not_now"),
    Polarity.SAFER: ("safer",),
}

# Each intent that takes the turn away from the question must be named in the text as well:
# the classifiers read "gambling at night" as a stop and "this craving is killing me" as anger.
_STOP_WORDS = re.compile(
    r"\b(?:stop(?! (?:drinking|using|smoking|gambling|gaming|taking|doing|it\b))|pause|bye|"
    r"goodbye|see (?:you|ya|u) later|talk later|catch (?:you|u) later|laters|"
    r"(?:that'?s|thats|had) enough|enough for (?:now|today)|done for (?:now|today|the day)|"
    r"i'?m done|im done|leave it (?:there|for now)|gotta go|got to go|g2g|gtg|"
    r"no more questions|end this|good ?night|nite)\b",
    re.IGNORECASE,
)
_CORRECTS = re.compile(
    r"\b(?:meant|mean|not what i|wrong|typo|actually|correction|misread|misunderstood|"
    r"didn'?t say|did not say|never said|i said)\b",
    re.IGNORECASE,
)
# The classifier's "talk" must name it too: "call someone at eight" is a step, not a wish to talk.
_WANTS_TO_TALK = re.compile(
    r"\b(?:i|im|i'm|just)\b.{0,15}\b(?:want|wanted|wanna|need|needed|like)\b.{0,12}"
    r"\b(?:talk|chat|vent|rant)"
    r"|\b(?:can|could) (?:we|i|u|you) (?:just )?(?:talk|chat)|\blonely\b"
    r"|\bget (?:it|this|things) off my chest",
    re.IGNORECASE,
)
# Frustration with the bot names it, or the talk: "this craving is killing me" is not that.
_OBVIOUSLY = re.compile(r"(?:obviously|obvs|duh|like i said|lol|ffs|jeez|god)", re.IGNORECASE)
_AT_THE_BOT = re.compile(
    r"\b(?:bot|robot|ai|reading|listening|listen|pointless|useless|stupid|dumb|questions|"
    r"annoying|waste of time|not helping|no help|shut up|leave me alone|stop asking|same thing|"
    r"repeat\w*|again and again|form|script|real person|human|you|u|ur|youre|fuck off|piss off|"
    r"sod off|go away|ffs|wtf|joke|are you serious)\b",
    re.IGNORECASE,
)
# At an open question, a question must look like one to be answered instead of heard.
_ASKS = re.compile(
    r"\?|(?:^|[.!,;]\s*)(?:(?:wait|so|but|and|ok|also|btw|hey|oh|um)\W+)?"
    r"(?:how|what|whats|where|wheres|when|why|who|which|is|are|can|could|"
    r"should|would|will|do|does|did|any|anything|u know)\b",
    re.IGNORECASE,
)
_CHANGE_WORDS = re.compile(
    r"\b(?:want|wanna|would like|need|going to|gonna|cut down|cut back|less|fewer|stop|quit|"
    r"change|better|try|trying|plan|hope|hoping|ready|safer|careful|break|nights? off|"
    r"days? off|control)\b",
    re.IGNORECASE,
)
_SUSTAIN_WORDS = re.compile(
    r"\b(?:not (?:that|so) bad|not a problem|no problem|fine with|don'?t need|dont need|"
    r"not bothered|not looking to|no reason to|just beers?|everyone does|it'?s fine|its fine|"
    r"i'?m fine|im fine|don'?t want to (?:stop|change|quit)|dont want to (?:stop|change|quit))\b",
    re.IGNORECASE,
)
_OPENS_WITH_ANSWER = re.compile(
    r"\W*(?:yes|yeah|yep|yup|ya|yea|no|nah|nope|not really|not sure|maybe|dunno|idk|sure|ok|"
    r"okay|go on|god no|hell no)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"(?:(?:ok(?:ay)?|ah|oh|right|cool|nice)[\s,]+)?"
    r"(?:ok(?:ay)?|k+|cool|thanks?|thank (?:you|u)|thx|ty|ta|cheers|right|got it|fair|noted|"
    r"nice|good to know|ok then)(?:[\s,]+(?:mate|man|bro|lol))?[\s.!]*",
    re.IGNORECASE,
)
_HUH = re.compile(
    r"(?:wh?at+|wut|wot|wha|huh+|wdym|what do (?:you|u|ya) mean|what does that mean|"
    r"what(?:'?s| is) that (?:supposed to )?mean|i don'?t (?:get|understand) (?:it|the question)|"
    r"what\?+ ?lol|\?+)[\s?!.]*",
    re.IGNORECASE,
)
_MAYBE_AN_IDEA = re.compile(
    r"\W*(?:maybe|perhaps|possibly)[\s,]+(?:like[\s,]+)?(?:not|no|less|fewer|cut\w*|stop\w*|only|"
    r"just|try\w*|take|taking|have|having|drink\w*|smok\w*|us(?:e|ing)|spend\w*|keep\w*|"
    r"a break|breaks|sav(?:e|ing))\b(?!.*\b(?:don'?t know|dunno|idk|not sure)\b)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[.!?;,\n]+")
_TREATMENT = re.compile(
    r"\b(?:methadone|metadone|meth?adon|bupe|subutex|suboxone|buprenorphine|buvidal|espranor|"
    r"script|scrip|prescription|dose|clinic)\b"
)
_ON_TOP = re.compile(r"\bon top\b|\bas well as (?:my|the) (?:script|methadone|bupe)", re.IGNORECASE)
_BARE = re.compile(
    r"(?:no+|nope|nah|yes|yeah|yep|ok|okay|k|kk|sure|fine|dunno|idk)[\s.!?]*", re.IGNORECASE
)
_ANSWERING = frozenset({Intent.ANSWER, Intent.NON_ANSWER, Intent.ALREADY_TOLD})
# Texts that can end up as the answer to an open question ("all day really" reads as talk).
_HEARD_AS_ANSWER = frozenset(
    {Intent.ANSWER, Intent.ALREADY_TOLD, Intent.TALK, Intent.FEELING, Intent.CORRECTION}
)
_MARKERS = re.compile(
    r"^(?:no+|nah|nope|sorry|soz|oops|wait|actually|i meant|i mean|meant|i said|like i said|"
    r"i just said|i just told (?:u|you)|"
    r"i (?:already )?(?:told|said to) (?:u|you|ya)|i already said|already said|i told u|told u|"
    r"that'?s not what i (?:said|meant)|thats not what i (?:said|meant)|not what i meant|"
    r"as i said|u|you|lol|ffs|mate)\b[\s,.:;!?-]*",
    re.IGNORECASE,
)


def warm_up() -> None:
    """Learn the understanding step's classifiers (a few seconds) at start-up: learnt lazily, the
    first turns waited on them, and a SIGTERM in that window outlasted the shutdown grace."""
    learn_understanding()


def hear(run: TurnContext, text: str, expects: str, offered: list[str]) -> str | None:
    """Act on what `text` means. None: the step has handled the turn. A string: the words the
    state's handler should take as the answer (the text itself, or what is left of it)."""
    model = run.model
    if model.flow == WELCOME and expects == "choice":
        return _before_consent(run, text, offered)
    if model.flow in OWN_ANSWERS:
        return text
    if model.context.pop(STOPPED, False):  # back after a stop: pick up where we were
        run.say("system/welcome_back")
        run.ask()
        return None
    informed = model.context.pop(INFORMED, False)
    if informed and _THANKS.fullmatch(text.strip()):
        run.say("hearing/noted")  # "ok ta" to information is thanks, not an answer
        run.ask(hint="hearing/options_again" if expects == "choice" else None)
        return None
    if _HUH.fullmatch(text.strip()):  # "wat", "huh?", "what do u mean"
        run.say("hearing/clarify")
        run.ask()
        return None
    understood = understand(text, expects=expects, subject=model.words.get("subject"))
    model.heard = understood.phrase if expects == "text" else None
    if expects == "text" and understood.intent in _HEARD_AS_ANSWER:
        run.scratch[UNDERSTOOD] = understood  # for a deeper reflection once it is answered
        run.scratch[ANSWERED] = (model.flow, model.state)
    intent = understood.intent
    fed_up = model.flow == STEER and intent is Intent.FRUSTRATION
    if (intent is Intent.STOP and _STOP_WORDS.search(text)) or fed_up:
        rest(run)
        return None
    # At buttons or a ruler, words that ask are a question whatever the classifier says.
    unplaceable = expects != "text" and (understood.polarity, understood.score) == (None, None)
    asking = intent is Intent.QUESTION or (unplaceable and intent is Intent.ANSWER)
    asks = asking and _ASKS.search(text) is not None
    if asks and (understood.topic is not None or expects != "text"):
        run.say(answer_template(understood.topic))
        run.ask()
        model.context[INFORMED] = True
        return None
    if intent is Intent.FRUSTRATION and model.flow != STEER and _AT_THE_BOT.search(text):
        if expects == "text" and (answer := _beside_the_outburst(text)):
            run.say("hearing/fair_enough")  # "are u serious?? i lost 600 last night": answered
            return answer
        run.say("steer/fair")
        step_aside(run, STEER)
        return None
    talks = intent in (Intent.TALK, Intent.CORRECTION, Intent.FEELING)
    if talks and model.flow != LISTEN and _WANTS_TO_TALK.search(text):
        step_aside(run, LISTEN)
        return None
    answers_first = understood.polarity is not None and _OPENS_WITH_ANSWER.match(text)
    if expects == "choice" and answers_first and understood.subject is None:
        return _choice(run, text, understood, offered)  # "yeah but not like stop. i said that"
    if intent is Intent.CORRECTION and _CORRECTS.search(text) and _correct(run, text, understood):
        return None
    if expects == "choice":
        return _choice(run, text, understood, offered)
    if expects == "scale" and understood.score is not None:  # "like a 4", "four", "5 or 6"
        model.score = understood.score
        run.fire(SCORE)
        return None
    if model.state == "subject" and model.flow == "agenda":
        word = _subject(run, text, understood)
        if word is not None:
            _note_whose(model, word, text)
        return word
    if renamed := _renamed_subject(model, text, understood):
        model.words["subject"] = renamed  # the name was wrong, not the answer: ask again
        _note_whose(model, renamed, text)
        run.say("hearing/corrected")
        run.ask()
        return None
    if intent is Intent.ALREADY_TOLD:
        return _already_told(run, text)
    if (model.flow, model.state) in GOAL_STATES and _empty(understood, text):
        run.ask(hint="hearing/goal_words")  # "no", "idk" or "k" is no goal or step to keep
        return None
    if model.flow == "agenda" and model.state == "topic" and (named := _named_in_passing(text)):
        model.words["subject"] = named  # "3-4 beers most nights": no need to ask what it is
        _note_whose(model, named, text)
    return text


def _beside_the_outburst(text: str) -> str | None:
    """What an annoyed reply says besides the annoyance, when that is an answer of a few words
    ("are u serious?? i lost 600 last night. obviously")."""
    kept = [
        part.strip()
        for part in _SENTENCE.split(text)
        if part.strip() and not _AT_THE_BOT.search(part) and not _OBVIOUSLY.fullmatch(part.strip())
    ]
    answer = ". ".join(kept)
    return answer if len(answer.split()) >= 3 else None


def _note_whose(model: DialogModel, word: str, text: str) -> None:
    """Whether the subject's word is the client's own ("coke and ket") or the lexicon's for
    what they named ("gambling" for "the pokies"): the bot says which it is."""
    model.facts[SUBJECT_THEIRS] = word.casefold() in text.casefold()


def _before_consent(run: TurnContext, text: str, offered: list[str]) -> str | None:
    """Before consent nothing the client writes is kept, but they are still heard: "ya ok" or
    "nah" answers the consent question, a question gets its answer, and someone who starts
    telling their story is asked, kindly, for the consent first. Never a goal, never a word
    kept: only the button it means."""
    understood = understand(text, expects="choice")
    if understood.intent is Intent.QUESTION and _ASKS.search(text):
        run.say(answer_template(understood.topic))
        run.ask()
        return None
    polarity = _typed_polarity(understood, text)
    if _press(run, understood, polarity, offered, text):
        return None
    if REVIEW_NO in offered and (polarity is Polarity.UNSURE or len(text.split()) > 3):
        # Consent is given; "whatever" or their story at the counselors question: counselors
        # stay out for now, and the story is the answer to what comes next.
        model = run.model
        model.facts[REVIEW_ASSUMED] = True
        model.replay = text if len(text.split()) > 3 else None
        model.choice = REVIEW_NO
        run.fire(REVIEW_NO)
        model.facts.pop(REVIEW_ASSUMED, None)
        return None
    if len(text.split()) > 3:  # their story, before they have said it may be kept
        run.ask(hint="hearing/consent_first")
        return None
    return text


def _press(
    run: TurnContext,
    understood: Understanding,
    polarity: Polarity | None,
    offered: list[str],
    text: str,
) -> bool:
    """Take a typed yes, no, not sure or safer as the offered button it means, if one is: when
    the text is an answer, or opens with one ("yeah but not stopping, i said that")."""
    if polarity is None:
        return False
    if understood.intent not in _ANSWERING and not _OPENS_WITH_ANSWER.match(text):
        return False
    key = next((k for k in POLARITY_KEYS[polarity] if k in offered), None)
    if key is None:
        return False
    run.model.choice = key
    run.fire(key)
    return True


def _renamed_subject(model: DialogModel, text: str, understood: Understanding) -> str | None:
    """Another substance's name and nothing more, right after the bot named the subject: "gear"
    to "what are you hoping for with methadone?" puts the name right."""
    named, current = understood.subject, model.words.get("subject")
    if named is None or current is None or named.word == current or family(named.word) is None:
        return None
    just_named = model.context.get(LAST_ANSWER) in ("subject", "topic")
    return named.word if just_named and len(_content(text).split()) <= 2 else None


def _named_in_passing(text: str) -> str | None:
    """A subject the first answer names plainly in one of its sentences ("its about drinking",
    "3-4 beers most nights"): one the lexicon knows for sure, and only one, or two a sentence
    opens with ("coke and ket mostly"), taken together; not a treatment they are on when they
    say they use on top of it ("on methadone but still use on top")."""
    if _ON_TOP.search(text):  # "on methadone but still use gear on top": the gear
        return _used_on_top(text)
    for sentence in _SENTENCE.split(text):
        named = find_subject(sentence)
        if not named or not named.sure or family(named.word.split(" and ")[0]) is None:
            continue
        if " and " not in named.word or _opens_with_a_name(sentence):
            return named.word
    return None


def _used_on_top(text: str) -> str | None:
    """What someone on a treatment uses on top of it, in their own word where it has one."""
    for word in re.findall(r"[a-z']+", _TREATMENT.sub(" ", text.casefold())):
        named = find_subject(word) if len(word) > 2 else None
        if named is not None and family(named.word) is not None:
            return own_name(word) or named.word
    return None


def _opens_with_a_name(sentence: str) -> bool:
    first = sentence.split()[:1]
    named = find_subject(first[0]) if first else None
    return named is not None and family(named.word) is not None


def _choice(
    run: TurnContext, text: str, understood: Understanding, offered: list[str]
) -> str | None:
    """A button question answered in words: the button it means, or a feeling met as one."""
    polarity = _typed_polarity(understood, text)
    if polarity is None and understood.talk is Talk.CHANGE and "explore" in offered:
        polarity = Polarity.YES  # "less of it" to "think about what change could look like?"
    if _press(run, understood, polarity, offered, text):
        return None
    if _own_change(run, understood, offered, text):
        return None
    if understood.intent in (Intent.FEELING, Intent.TALK) or (
        understood.intent is Intent.ANSWER and understood.phrase and len(text.split()) > 3
    ):  # words at a button question: heard as words, then the options again
        run.model.heard = understood.phrase
        feeling = understood.intent in (Intent.FEELING, Intent.TALK)
        run.say("hearing/feeling" if feeling else "hearing/heard_you")
        run.ask(hint="hearing/options_again")
        return None
    return text


def _own_change(run: TurnContext, understood: Understanding, offered: list[str], text: str) -> bool:
    """A change of their own typed at the kinds of change ("maybe not having my card on me
    after work"): "something else", with these words as its goal, not the options again."""
    model = run.model
    if (model.flow, model.state) != ("change", "options") or "own_way" not in offered:
        return False
    if understood.intent is not Intent.ANSWER or len(_content(text).split()) < 3:
        return False
    model.choice, model.replay = "own_way", text
    run.fire("own_way")
    return True


def _typed_polarity(understood: Understanding, text: str) -> Polarity | None:
    """A yes, no or not sure only when the text is one: short, or opening with it ("yes but
    only on weekdays"); a "maybe" inside a sentence about weekends is not "not sure". "Safer"
    is specific enough anywhere."""
    polarity = understood.polarity
    if polarity is Polarity.UNSURE and _MAYBE_AN_IDEA.match(text):
        return Polarity.YES  # "maybe like not smoking till after work": a change, tentatively
    if polarity is None and understood.intent is Intent.NON_ANSWER and not text.strip().isdigit():
        return Polarity.UNSURE  # "whatever", "dunno": not sure is a full answer ("7" is a typo)
    if polarity is Polarity.SAFER or len(text.split()) <= 4 or _OPENS_WITH_ANSWER.match(text):
        return polarity
    return None


def rest(run: TurnContext) -> None:
    """Leave it here for now: the place kept, nothing asked (after a stop, or when nothing
    the bot offers fits, again and again)."""
    model = run.model
    paused = model.context.pop("paused", None) if model.flow in (LISTEN, STEER) else None
    if paused:  # stopping from listening or the choice: back to the script's place
        run.move(paused["flow"], paused["state"])
    model.context[STOPPED] = True
    run.say("hearing/stop")


def step_aside(run: TurnContext, flow: str) -> None:
    """Leave the script for listening or a choice, keeping the place to come back to."""
    model = run.model
    if model.flow not in (LISTEN, STEER, "menu"):
        model.context["paused"] = {"flow": model.flow, "state": model.state}
    run.move(flow, None)
    run.ask()


def _content(text: str) -> str:
    """The text without the words that only correct or point back ("no i meant", "i told u")."""
    rest = text.strip()
    while (found := _MARKERS.match(rest)) and found.end() > 0:
        rest = rest[found.end() :].strip()
    return rest


def _correct(run: TurnContext, text: str, understood: Understanding) -> bool:
    """Take a correction: the subject ("no i meant weed"), or the last open answer."""
    model = run.model
    key, content = model.context.get(LAST_ANSWER), _content(text)
    if "subject" in model.words and (understood.subject is not None or key == "subject"):
        if understood.subject is not None:
            model.words["subject"] = understood.subject.word
            _note_whose(model, understood.subject.word, text)
        else:  # "thats not it": no word of theirs yet, so no word of mine
            model.words.pop("subject")
        run.say("hearing/corrected")
        run.ask()
        return True
    if not key or len(content) < 2:
        return False
    model.words[key] = content
    if key in GOAL_KINDS:  # a goal kept again, in the new words
        option = model.facts.get("change_option") if key == "change" else None
        model.effects.append(GoalSet(kind=key, words=content, option=option))
    run.say("hearing/corrected")
    run.ask()
    return True


def _already_told(run: TurnContext, text: str) -> str | None:
    """ "i told u. safer": what is left is the answer; with nothing left, what they said before."""
    content = _content(text)
    model = run.model
    named = find_subject(content)
    if named is not None and named.word == model.words.get("subject") and len(content) < 40:
        run.say("hearing/already_told")  # "i just said. drinking": it is known, ask on
        run.ask()
        return None
    if len(content) >= 2:
        return content
    run.say("hearing/already_told")
    earlier = model.words.get(str(model.context.get(LAST_ANSWER, ""))) or model.words.get("topic")
    return earlier or text


def _subject(run: TurnContext, text: str, understood: Understanding) -> str | None:
    """The subject in the client's word, never a sentence: their own name for it where it fits
    a sentence ("gear"), as the question promised, else the lexicon's word for what they named."""
    if (theirs := own_name(text)) is not None:
        return theirs
    if understood.subject is not None:
        return understood.subject.word
    if len(text.split()) <= 3:
        return text.strip()
    if understood.phrase:  # "just want to not od. lost 2 mates this year": heard, then asked
        run.model.heard = understood.phrase
        run.say("hearing/heard_you")
    if (theme := next((t for t in themes(text) if t.kind == "safety"), None)) is not None:
        run.say("hearing/deeper", theme=theme, asked="agenda/subject")
    run.say("hearing/which_word")  # the question again, in fewer words
    return None


def deepen(run: TurnContext) -> None:
    """After an open answer is taken and reflected, say what lies under it, once: a theme of
    the answer the question invites (what it gives, what it costs, who is in it, how it sits
    in the week, the fear under it, both sides at once), each theme once a conversation; else
    its change talk (MI reflects change talk selectively). The talk classifier is not sure
    enough on its own, so change talk must also be in the words, with no sustain talk beside
    it: a misreflected "i'm fine with it" would be persuasion. (Naming the life areas of every
    answer was tried here and dropped: "every nite after work" is no cost to their work.)"""
    understood = run.scratch.pop(UNDERSTOOD, None)
    answered = run.scratch.pop(ANSWERED, None)
    model = run.model
    if not isinstance(understood, Understanding) or model.flow in OWN_ANSWERS | {STEER}:
        return
    text = model.text or ""
    said = list(model.facts.get(THEMES_SAID, []))
    wanted = DEEPER.get(answered, ()) if isinstance(answered, tuple) else ()
    theme = next((t for t in themes(text) if t.kind in wanted and t.kind not in said), None)
    if theme is not None:
        model.facts[THEMES_SAID] = [*said, theme.kind]
        run.say("hearing/deeper", theme=theme, asked="/".join(answered))
        return
    if model.flow == LISTEN:  # listening reflects every message already
        return
    change = understood.talk is Talk.CHANGE and _CHANGE_WORDS.search(text) is not None
    if not change or _SUSTAIN_WORDS.search(text):
        return
    model.facts[DEEPENED] = int(model.facts.get(DEEPENED, 0)) + 1
    run.say("hearing/change_talk")


def _empty(understood: Understanding, text: str) -> bool:
    """A non-answer, or a bare yes or no, where their own words were asked for."""
    return (
        understood.intent is Intent.NON_ANSWER
        or (understood.polarity is not None and len(text.split()) <= 2)
        or _BARE.fullmatch(text.strip()) is not None
    )
