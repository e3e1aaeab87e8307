"""A short paraphrase of what the client meant, in the bot's voice, for a reflection template to
put inside its sentence: "bc i actually do want to feel better at work and my gf would be
happy" -> "you want to feel better at work and your girlfriend would be happy".

Steps, each small: texting spellings made standard (u, ur, dont, gf, bc), fillers dropped
(tbh, lol, i guess, i mean, a filler "like", leading well/so/idk, trailing question tags),
sentences that carry nothing (non-answers, questions, "can we stop") set aside, pronouns and
verbs shifted to the bot's side (i -> you, im -> you're, i was -> you were, my -> your), a
missing "I" put back ("feel crap in the mornings" -> "you feel crap in the mornings"), then as
many sentences as fit in MAX_WORDS, cut at a clause boundary, never mid-word.

It never returns a phrasing the language guard would flag in the bot's own voice: the client's
"need to" and "have to" become "feel a need to" and "feel obliged to", "quit" becomes "be done
with", "clean" becomes "off it"; a label ("addict") the client uses for themselves makes it
return None, so the template says something general instead."""

from __future__ import annotations

import re
from typing import Final

from prompts import flagged_phrases

MAX_WORDS: Final = 12

# Texting spellings and contractions written without an apostrophe, as the bot would spell them.
# Pronouns are not here: they are shifted to the bot's side further on.
SPELLINGS: Final[dict[str, str]] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "yr": "year",
    "yrs": "years",
    "od": "overdose",
    "oded": "overdosed",
    "odd": "overdosed",
    "r": "are",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "arent": "aren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "shouldnt": "shouldn't",
    "aint": "isn't",
    "thats": "that's",
    "whats": "what's",
    "theres": "there's",
    "heres": "here's",
    "hes": "he's",
    "shes": "she's",
    "theyre": "they're",
    "youre": "you're",
    "youve": "you've",
    "its": "it's",
    "lets": "let's",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "hafta": "have to",
    "kinda": "kind of",
    "sorta": "sort of",
    "dunno": "don't know",
    "bc": "because",
    "b/c": "because",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "cause": "because",
    "tho": "though",
    "thru": "through",
    "w/": "with",
    "w/o": "without",
    "gf": "girlfriend",
    "bf": "boyfriend",
    "missus": "partner",
    "mrs": "partner",
    "hubby": "husband",
    "bestie": "best friend",
    "ppl": "people",
    "rn": "right now",
    "atm": "at the moment",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tomoz": "tomorrow",
    "tonite": "tonight",
    "nite": "night",
    "sesh": "session",
    "til": "till",
    "nites": "nights",
    "nitez": "nights",
    "wk": "week",
    "wks": "weeks",
    "hr": "hour",
    "hrs": "hours",
    "min": "minute",
    "mins": "minutes",
    "smth": "something",
    "sth": "something",
    "abt": "about",
    "bout": "about",
    "n": "and",
    "nd": "and",
    "b4": "before",
    "2day": "today",
    "2nite": "tonight",
    "prob": "probably",
    "probs": "probably",
    "prolly": "probably",
    "def": "definitely",
    "defo": "definitely",
    "esp": "especially",
    "convo": "conversation",
    "mon": "Monday",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "monday": "Monday",
    "tuesday": "Tuesday",
    "wednesday": "Wednesday",
    "thursday": "Thursday",
    "friday": "Friday",
    "saturday": "Saturday",
    "sunday": "Sunday",
    "mondays": "Mondays",
    "tuesdays": "Tuesdays",
    "wednesdays": "Wednesdays",
    "thursdays": "Thursdays",
    "fridays": "Fridays",
    "saturdays": "Saturdays",
    "sundays": "Sundays",
    "january": "January",
    "february": "February",
    "april": "April",
    "june": "June",
    "july": "July",
    "august": "August",
    "september": "September",
    "october": "October",
    "november": "November",
    "december": "December",
    "march": "March",
    "xmas": "Christmas",
    "christmas": "Christmas",
    "fucking": "",
    "fuckin": "",
    "effing": "",
    "bloody": "",
    "shit": "rough",
    "shite": "rough",
    "crap": "rough",
    "crappy": "rough",
    "shitty": "rough",
}
_WAVED_AWAY: Final = "you can't see that happening"
_SELF_NAMES: Final = (
    r"(?:piece of shit|pos|waste of space|idiot|moron|loser|failure|mug|muppet|dickhead|stupid)"
)
# Words the bot says in place of the client's stronger ones, by phrase.
_PHRASES: Final = (
    # Their names for themselves are not the bot's to say back: "such an idiot with money".
    (
        re.compile(rf"\bbeing (?:such an?|so|a|an) {_SELF_NAMES} (?=with|about)"),
        "being so careless ",
    ),
    (
        re.compile(rf"\b(?:i'?m|i am) (?:such |a complete |a total )?an? {_SELF_NAMES}\b"),
        "i feel awful about myself",
    ),
    (re.compile(rf"\b(?:like )?(?:such )?an? {_SELF_NAMES}\b"), "awful"),
    (re.compile(r"\b(feel|feeling|felt|feels) like (?:shit|shite|crap|death|hell)\b"), r"\1 rough"),
    (re.compile(r"\bfuck(?:ed)? (?:it )?up\b|\bfucked it\b|\bscrewed (?:it )?up\b"), "messed up"),
    (re.compile(r"\bpissed off\b"), "annoyed"),
    (re.compile(r"\bur (?=\w+ing\b|not\b|a\b|an\b|so\b|just\b|right\b|too\b|gonna\b)"), "you're "),
    (re.compile(r"\b(?:the |my )?(?:missus|mrs)\b"), "your partner"),
    (re.compile(r"\b(stop|quit) \1\b"), r"\1 altogether"),
    (re.compile(r"\bdry jan(?:uary)?\b"), "Dry January"),
    # A hope waved away: "if the lads did it too. never gonna happen".
    (
        re.compile(
            r"\b(?:(?:but )?(?:never|not|aint|ain't) (?:gonna|going to) happen|fat chance)\b"
        ),
        _WAVED_AWAY,
    ),
    (re.compile(r"\bsober oct(?:ober)?\b"), "Sober October"),
    (re.compile(r"\bbut (?:whatever|w/e|anyway)\b"), "but"),  # "i dont wanna stop stop"
    # "sat" and "sun" are weekdays only beside another day or a time of day ("fri and sat").
    (re.compile(r"\b(fri|friday) (and|n|&) sat\b"), r"\1 \2 Saturday"),
    (re.compile(r"\bsat (and|n|&) sun\b"), r"Saturday \1 Sunday"),
    (re.compile(r"\b(saturday|Saturday) (and|n|&) sun\b"), r"\1 \2 Sunday"),
    (re.compile(r"\bsat(?= (?:nights?|nites?|mornings?)\b)"), "Saturday"),
    (re.compile(r"\bsun(?= (?:nights?|nites?|mornings?)\b)"), "Sunday"),
)
_PROFANE = re.compile(r"\bfuck|\bcunt|\btwat|\bbitch|\bwank")
# "its fun?? obviously": a statement said with a question mark, not a question.
_RHETORICAL = re.compile(r"\s*(?:it'?s|that'?s|i'?m|i|because|cos|coz|cause)\s+\w", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(?:what|where|how|why|who|which)\b|"
    r"^(?:is|are|am|do|does|did|can|could|should|would|will|was|were|have|has)\s+"
    r"(?:you|i|it|there|that|this|they|we|he|she|my|your|anyone|anything|someone)\b"
)
_PEOPLE = frozenset(
    {
        "girlfriend",
        "boyfriend",
        "partner",
        "wife",
        "husband",
        "mum",
        "mom",
        "dad",
        "brother",
        "mate",
    }
    | {"sister", "kids", "son", "daughter", "boss", "family", "mates", "friends", "parents"}
)
_DETERMINERS = frozenset(
    {"my", "your", "the", "a", "an", "his", "her", "their", "our", "this", "that", "no", "of"}
)
_META_PREFIX = re.compile(
    r"^(?:i\s+(?:already\s+|just\s+)?(?:said|told\s+you)|already\s+(?:said|told\s+you)|"
    r"like\s+i\s+said|as\s+i\s+said)\b\s*,?\s*"
)

# First person -> the bot's side. "i was" and "i am" are handled with their verb.
PRONOUNS: Final[dict[str, str]] = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "im": "you're",
    "i'm": "you're",
    "ive": "you've",
    "i've": "you've",
    "i'd": "you'd",
    "id": "you'd",
    "i'll": "you'll",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "we're": "you're",
    "we've": "you've",
}
_BE_AFTER_I: Final = {"am": "are", "was": "were", "wasn't": "weren't", "'m": "are"}

# Words that carry no content anywhere they stand.
FILLERS: Final = frozenset(
    {
        "tbh",
        "tbf",
        "ngl",
        "imo",
        "imho",
        "lol",
        "lols",
        "lmao",
        "lmfao",
        "rofl",
        "haha",
        "hahaha",
        "hehe",
        "omg",
        "ffs",
        "fml",
        "smh",
        "idk",
        "honestly",
        "basically",
        "literally",
        "obv",
        "obvs",
        "obviously",
        "um",
        "umm",
        "uh",
        "uhh",
        "erm",
        "hmm",
        "hm",
        "ah",
        "eh",
        "x",
        "xx",
        "yeah",
        "yea",
        "yep",
    }
)
# Phrases that are fillers anywhere (checked before single words).
FILLER_PHRASES: Final = (
    ("i", "guess"),
    ("i", "suppose"),
    ("i", "mean"),
    ("to", "be", "honest"),
    ("you", "know"),
    ("ya", "know"),
    ("or", "something"),
    ("or", "whatever"),
    ("and", "stuff"),
    ("and", "that"),
    ("or", "what"),
    ("like", "i", "said"),
    ("as", "i", "said"),
    ("simple", "as"),
)
# Words dropped at the start of a sentence ("well", "so", "bc" before the content).
LEADING: Final = frozenset(
    {
        "well",
        "so",
        "and",
        "but",
        "also",
        "because",
        "ok",
        "okay",
        "oh",
        "yes",
        "nah",
        "hey",
        "hi",
        "like",
        "anyway",
        "actually",
        "then",
        "plus",
    }
)
# Words dropped at the end of a sentence (tags and hedges that add nothing to a reflection).
TRAILING: Final = frozenset(
    {
        "really",
        "probably",
        "maybe",
        "though",
        "right",
        "innit",
        "yeah",
        "eh",
        "anyway",
        "so",
        "too",
        "mate",
        "actually",
        "like",
    }
)
# Replies that are not content (CLINICAL.md: "Non-answers are not content").
NON_ANSWERS: Final = frozenset(
    {
        "idk",
        "i don't know",
        "don't know",
        "no idea",
        "not sure",
        "unsure",
        "k",
        "kk",
        "ok",
        "okay",
        "whatever",
        "nothing",
        "nothing really",
        "none",
        "nope",
        "no",
        "nah",
        "na",
        "yes",
        "yeah",
        "yep",
        "sure",
        "fine",
        "maybe",
        "meh",
        "idc",
        "i don't care",
        "who knows",
        "skip",
        "pass",
        "same",
        "dunno",
        "no comment",
        "n/a",
        "?",
        "bye",
        "thanks",
        "thank you",
        "cheers",
        "hello",
        "hi",
        "hey",
        "sorry",
        "what",
        "true",
        "fair",
        "fair enough",
        "right",
        "alright",
        "all good",
    }
)
# Sentences that are about the conversation, not an answer.
_META = re.compile(
    r"^(?:can|could)\s+we\s+(?:stop|pause|talk about something else)|^stop\s+asking|"
    r"^(?:you|i)\s+(?:already\s+|just\s+)?(?:said|told|asked)|^already\s+(?:said|told)|"
    r"^(?:are\s+you|you're)\s+(?:even\s+|just\s+)?(?:reading|listening|a\s+bot)|^what\??$|"
    r"^(?:sorry\s+)?(?:i\s+)?(?:pressed|hit|tapped|clicked|pushed)\s+(?:the\s+)?wrong\s+(?:button|one)",
)
# A "like" right after these is a verb or a comparison, not a filler.
_LIKE_COMPARES_WITH: Final = frozenset(
    {"everyone", "everybody", "anyone", "anybody", "most", "others", "normal", "other", "them"}
)
_LIKE_KEEPS_AFTER: Final = frozenset(
    {
        "i",
        "you",
        "we",
        "they",
        "he",
        "she",
        "it",
        "would",
        "'d",
        "don't",
        "didn't",
        "doesn't",
        "really",
        "not",
        "to",
        "feel",
        "feels",
        "felt",
        "feeling",
        "look",
        "looks",
        "looked",
        "sound",
        "sounds",
        "seem",
        "seems",
        "something",
        "nothing",
        "anything",
        "just",
        "much",
        "more",
        "less",
        "people",
        "things",
        "stuff",
        "kind",
        "sort",
        "would've",
        "you'd",
        "i'd",
        "also",
        "still",
        "actually",
    }
)
# A sentence that starts with one of these dropped its "I" ("feel crap" -> "you feel crap").
_FIRST_PERSON_VERBS: Final = frozenset(
    {
        "died",
        "overdosed",
        "collapsed",
        "ended",
        "want",
        "wanted",
        "feel",
        "felt",
        "need",
        "get",
        "got",
        "think",
        "thought",
        "love",
        "loved",
        "hate",
        "miss",
        "missed",
        "used",
        "keep",
        "kept",
        "play",
        "played",
        "drink",
        "drank",
        "smoke",
        "smoked",
        "use",
        "went",
        "did",
        "had",
        "have",
        "tried",
        "know",
        "knew",
        "don't",
        "didn't",
        "can't",
        "wish",
        "hope",
        "managed",
        "spent",
        "spend",
        "started",
        "stopped",
        "woke",
        "wake",
        "worry",
        "guess",
        "would",
        "could",
        "should",
        "will",
        "am",
        "was",
        "like",
        "liked",
        "enjoy",
        "caved",
        "found",
        "lost",
        "moved",
        "go",
        "try",
        "haven't",
        "drew",
        "made",
        "saw",
        "told",
        "slept",
        "been",
        "do",
    }
)
# "helps me switch off": a third-person verb with its subject ("it") left out.
_IT_VERBS: Final = frozenset(
    {
        "helps",
        "makes",
        "stops",
        "gives",
        "takes",
        "keeps",
        "switches",
        "calms",
        "relaxes",
        "gets",
        "puts",
        "lets",
        "shuts",
        "numbs",
        "costs",
        "means",
        "used",
        "feels",
        "works",
        "hits",
        "kills",
        "ruins",
        "messes",
        "turns",
        "brings",
    }
)
# Words a cut must not end on.
_DANGLING: Final = frozenset(
    {
        "and",
        "or",
        "but",
        "so",
        "because",
        "the",
        "a",
        "an",
        "to",
        "of",
        "in",
        "on",
        "at",
        "with",
        "for",
        "from",
        "by",
        "about",
        "your",
        "you",
        "their",
        "his",
        "her",
        "its",
        "that",
        "than",
        "just",
        "very",
        "really",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it's",
        "you're",
        "when",
        "if",
        "then",
        "like",
        "kind",
        "sort",
        "some",
        "not",
        "don't",
        "can't",
        "i",
        "my",
        "which",
        "who",
        "as",
        "into",
        "get",
        "got",
        "have",
        "had",
        "feel",
        "felt",
    }
)
_STOPWORDS: Final = (
    _DANGLING
    | FILLERS
    | LEADING
    | TRAILING
    | {"it", "this", "thing", "things", "me", "mine", "im", "they", "them", "he", "she", "him"}
    | {"we", "us", "no", "mate", "nothing", "that", "that's", "it's", "what", "even"}
)
# Clause boundaries to cut a long sentence at, first the strongest.
_BOUNDARY_WORDS: Final = (
    "because",
    "but",
    "and",
    "so",
    "when",
    "then",
    "which",
    "though",
    "since",
    "while",
    "until",
    "after",
    "before",
    "if",
)
# A sentence up to this many words over the limit is kept whole rather than cut.
_SLACK: Final = 2
# The client's own modal wording made safe for the bot's voice (see the module docstring).
_SAFE_REWRITES: Final = (
    (re.compile(r"\b(\w+) said (?:that )?you (?:have|need|had|needed) to\b"), r"\1 wants you to"),
    (
        re.compile(r"\b(\w+) (said|says|reckons|thinks|thought) (?:that )?you should\b"),
        r"\1 \2 it would be good for you to",
    ),
    (re.compile(r"\byou (?:really |just )?need to\b"), "you feel a need to"),
    (re.compile(r"\byou (?:really |just )?needed to\b"), "you felt a need to"),
    (
        re.compile(r"\byou(?:'ve)? (?:really |just )?(?:have|has|got|must) to\b|\byou must\b"),
        "you feel obliged to",
    ),
    (re.compile(r"\byou (?:really |just )?had to\b"), "you felt obliged to"),
    (re.compile(r"\byou (?:really |just )?should(?: have)?\b"), "you feel it would be good to"),
    (re.compile(r"\bto quit$"), "to be done with it"),
    (re.compile(r"\bto quit\b"), "to be done with"),
    (re.compile(r"\bquitting\b"), "being done with"),
    (re.compile(r"\byou quit\b"), "you stopped"),
    (re.compile(r"^quit\b"), "stopping"),
    (re.compile(r"\bquit\b"), "stop"),
    (re.compile(r"\bgiv(?:e|ing) (?:it |this |that )?up\b"), "be done with"),
    (re.compile(r"\b(?:been|am|are|you're|stay(?:ing)?|get(?:ting)?) clean\b"), "off it"),
    (re.compile(r"\brelapsed\b"), "had a setback"),
    (re.compile(r"\brelapse\b"), "setback"),
    (re.compile(r"\bfailing\b"), "struggling"),
    (
        re.compile(
            r"\bfailed ((?:a|an|your|the|some|two|three|\d+|a couple of|a few|all your) \w+)"
        ),
        r"didn't pass \1",
    ),
    (re.compile(r"\bfailed\b"), "struggled"),
    (re.compile(r"\bstart(ed|ing)? (?:all )?over\b"), r"start\1 again"),
)

_SENTENCE_SPLIT = re.compile(r"(?<!\d)[.!;\n]+(?!\d)|\?+|…|(?:\s-\s)")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’/-]*|[,]")  # noqa: RUF001
_REPEATS = re.compile(r"([a-z])\1{2,}")


def _tokens(sentence: str) -> list[str]:
    out: list[str] = []
    for raw in _TOKEN.findall(sentence):
        word = raw.replace("’", "'").strip("'-/")  # noqa: RUF001
        if not word:
            continue
        # Keep a capital only where it looks like a name: not at the start, not shouted.
        if word[0].isupper() and out and not word.isupper() and word.lower() not in PRONOUNS:
            out.append(word)
            continue
        out.append(_REPEATS.sub(r"\1\1", word.lower()))
    return out


def _respell(tokens: list[str]) -> list[str]:
    line = " ".join(tokens)
    for pattern, replacement in _PHRASES:
        line = pattern.sub(replacement, line)
    out: list[str] = []
    for word in line.split():
        out.extend(SPELLINGS.get(word, word).split())
    return out


_LEADING_BEFORE_PRONOUN: Final = frozenset({"no", "mate", "nothing"})
_PRONOUN_STARTS: Final = frozenset(
    {"i", "im", "i'm", "it", "it's", "its", "that", "that's", "you", "not", "we", "they", "my"}
    | {"just", "don't", "dont", "honestly", "seriously"}  # "idk mate just dont wanna"
)


def _drop_fillers(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase in FILLER_PHRASES:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            word = tokens[i]
            previous = out[-1] if out else ""
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            filler_like = (
                word == "like"
                and previous not in _LIKE_KEEPS_AFTER
                and following not in _LIKE_COMPARES_WITH  # "on the footy like everyone else"
            )
            if word not in FILLERS and not filler_like:
                out.append(word)
            i += 1
    while out and (
        out[0] in (LEADING | {","})
        or (out[0] in _LEADING_BEFORE_PRONOUN and len(out) > 1 and out[1] in _PRONOUN_STARTS)
        or (out[:2] == ["nothing", "really"] and len(out) > 2 and out[2] in _PRONOUN_STARTS)
    ):
        out.pop(0)
        if out and out[0] == "really" and len(out) > 1 and out[1] in _PRONOUN_STARTS:
            out.pop(0)
    while out and out[-1] in (TRAILING | {","}):
        out.pop()
    return out


_PAST: Final = frozenset(
    {"lost", "got", "had", "did", "went", "made", "took", "was", "were", "said", "told", "felt"}
)


def _bare(verb: str) -> bool:
    """A verb a wish can open with ("drink less"); "don't want to" still needs its "you", and
    a verb in the past ("lost 2 mates") tells what happened, not what they want."""
    return not verb.endswith("n't") and verb not in _PAST and not verb.endswith("ed")


_ON_ONE: Final = re.compile(
    r"^on (?:a |one |it\b|the piss\b)(?:sesh|session|bender|binge|mad one|night out|come ?down)?"
)


_COUNTS: Final = frozenset(
    {"two", "three", "four", "five", "some", "few", "many", "all", "both", "of", "other"}
)
_LEADING_ADVERBS: Final = frozenset({"just", "nearly", "almost", "never", "always", "still"})


def _shift(tokens: list[str], aim: bool = False, opening: bool = False) -> list[str]:
    """First person to the bot's side; a left-out subject put back, except in a wish, where a
    bare verb ("drink less") is what they want, not what they do. `opening`: the first part of
    a wish, where "want to" is said by the template ("you're hoping to ...")."""
    if opening and (tokens[:2] == ["want", "to"] or tokens[:3] == ["just", "want", "to"]):
        tokens = [w for i, w in enumerate(tokens) if not (w == "want" and i < 2)]  # "to ..."
    out: list[str] = []
    for i, word in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if before == "i" and word in _BE_AFTER_I:
            out.append(_BE_AFTER_I[word])
        elif word == "id" and after in ("card", "number"):
            out.append(word)
        elif (
            word in _PEOPLE
            and before not in _DETERMINERS
            and before not in _COUNTS
            and not before.endswith("'s")
            and not before.isdigit()
        ):  # "my mate" -> "your mate"; "2 mates", "some mates" stay
            out.extend(["your", word])
        else:
            out.extend(PRONOUNS.get(word, word).split())
    first = tokens[0] if tokens else ""
    lead = out and out[0] in _LEADING_ADVERBS and len(out) > 1  # "nearly got a warning"
    verb = out[1] if lead else (out[0] if out else "")
    if _ON_ONE.match(" ".join(out)):
        out[:0] = ["you've", "been"] if "since" in out else ["you're"]  # "on a sesh rn"
    elif out[:3] == ["used", "to", "be"] or (
        first == "been" and len(out) > 1 and out[1][0].isdigit()
    ):
        out.insert(0, "it" if first == "used" else "it's")
    elif verb in _FIRST_PERSON_VERBS and first not in ("i", "you") and not (aim and _bare(verb)):
        out.insert(0, "you")
    elif verb in _IT_VERBS or _verb_on_me(tokens):
        out.insert(0, "it")
    return out


def _verb_on_me(tokens: list[str]) -> bool:
    """A fragment opening "<word>s me ..." has a third-person verb with "it" left out: "chills
    me out", "knocks me out", "winds me down"."""
    return (
        len(tokens) > 1
        and tokens[1] in ("me", "my")
        and len(tokens[0]) > 3
        and tokens[0].endswith("s")
        and not tokens[0].endswith("ss")
        and tokens[0] not in _PEOPLE
    )


def _size(tokens: list[str]) -> int:
    return len([t for t in tokens if t != ","])


def _is_content(tokens: list[str]) -> bool:
    return any(t not in _STOPWORDS and t != "," and not t[0].isdigit() for t in tokens)


def _cut(tokens: list[str], limit: int) -> list[str]:
    """At most `limit` words, cut at the last clause boundary that fits, or at a word."""
    if _size(tokens) <= limit + _SLACK:
        return tokens
    best: list[str] = []
    count = 0
    for i, item in enumerate(tokens):
        if item == ",":
            if count <= limit:
                best = tokens[:i]
            continue
        if item in _BOUNDARY_WORDS and 0 < count <= limit and _is_content(tokens[:i]):
            best = tokens[:i]
        count += 1
        if count > limit:
            break
    if _size(best) < 3:
        best = []
        for token in tokens:
            if _size([*best, token]) > limit:
                break
            best.append(token)
    while best and best[-1] in (_DANGLING | {","}):
        best.pop()
    return best


# A feeling said after the facts is what matters most to hear back: it may run this far over.
_FEELING_SLACK: Final = 4
_FEELING: Final = re.compile(r"^(?:i |you )?(?:feel|felt|feeling|am|i'm|im)\b")


def _feels(tokens: list[str]) -> bool:
    """ "feel awful about it", "i'm gutted": a sentence that says how they feel."""
    return bool(_FEELING.match(" ".join(tokens))) and len(tokens) <= 6


_CONTRASTS: Final = frozenset({"just", "only", "but"})  # "you don't want to stop, just less"


_LINKS: Final = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "does", "did", "gets", "got", "makes"}
)


def _join(parts: list[list[str]]) -> str:
    texts = [re.sub(r"\s+,", ",", " ".join(p)).strip(" ,") for p in parts]
    if len(texts) == 2 and parts[1] and parts[1][0] in _CONTRASTS:
        return ", ".join(texts)
    second = texts[1].split() if len(texts) == 2 else []
    verbless = not any(w in _LINKS or w.endswith(("'s", "'re", "'ve", "'m")) for w in second)
    if len(texts[0].split()) >= 5 and 0 < len(second) <= 3 and verbless:
        return ", and ".join(texts)  # "you feel like yourself, and the lads": two things
    if len(texts) == 2 and texts[1].startswith(_WAVED_AWAY):
        return ", but ".join(texts)
    if len(texts) == 2 and texts[1].startswith("you ") and not texts[0].startswith("you"):
        return ", and ".join(texts)  # "the Mondays, and you nearly got a warning"
    if len(texts) <= 2:
        return " and ".join(texts)
    return ", ".join(texts[:-1]) + " and " + texts[-1]


def _safe(text: str) -> str | None:
    for pattern, replacement in _SAFE_REWRITES:
        text = pattern.sub(replacement, text)
    text = " ".join(text.split())
    return None if not text or flagged_phrases(text) else text


def is_non_answer(text: str) -> bool:
    """Whether a reply is a non-answer ("idk", "k", "whatever", "no lol", "nothing really")."""
    words = [w for w in _respell(_tokens(text.casefold())) if w not in FILLERS and w != ","]
    phrase = " ".join(words)
    return not words or phrase in NON_ANSWERS or phrase in {"i " + n for n in NON_ANSWERS}


def sentences(text: str) -> list[list[str]]:
    """The client's sentences that carry content, respelled, fillers out, not yet shifted:
    non-answers, questions, swearing at the bot and talk about the conversation set aside."""
    kept = []
    position = 0
    for piece in _SENTENCE_SPLIT.split(text):
        start = text.find(piece, position) if piece else -1
        end = start + len(piece) if start >= 0 else position
        position = max(position, end)
        if not piece or not piece.strip():
            continue
        asked = text[end : end + 1] == "?" and not _RHETORICAL.match(piece)
        line = " ".join(_drop_fillers(_respell(_tokens(piece))))
        line = _META_PREFIX.sub("", line)
        tokens = _drop_fillers(line.split())
        line = " ".join(tokens)
        if (
            not tokens
            or asked
            or line in NON_ANSWERS
            or _META.search(line)
            or _QUESTION_START.match(line)
            or _PROFANE.search(line)
            or not _is_content(tokens)
        ):
            continue
        kept.append(tokens)
    return kept


_NOT_THE_POINT_HERE = re.compile(
    r"\b(?:but\s+)?(?:that'?s|thats|its|it'?s|that is|it is)\s+not\s+(?:really\s+)?"
    r"(?:it|the point|the problem|the thing|what i mean|why im here|why i'?m here)\b[\s.,!?]*",
    re.IGNORECASE,
)


_INTENSIFIERS: Final = frozenset({"too", "so", "very", "just", "really", "only", "proper"})


def _distinct(kept: list[list[str]]) -> list[list[str]]:
    """Sentences that say something new: "tired. just tired" is one thing said twice."""
    out: list[list[str]] = []
    for tokens in kept:
        words = {t for t in tokens if t not in _STOPWORDS | _INTENSIFIERS and t != ","}
        if out and words and words <= {t for part in out for t in part}:
            continue
        out.append(tokens)
    return out


_OWN: Final = frozenset({"i", "im", "ive", "id", "ill", "my", "me"})
_REPORTED: Final = re.compile(
    r"^(?:my|me|a|the|his|her|our)\b(?: \w+){0,2} (?:said|says|told|reckons|thinks)\b"
)


_NOT_WANTED: Final = re.compile(r"^(?:i )?(?:don't|dont|do not) (?:want|wanna|need)\b")


def _first_what_matters(kept: list[list[str]], limit: int, aim: bool = False) -> list[list[str]]:
    """The sentences in order, except that when they will not all fit, the client's own
    statements come before what someone else said: in "idk my mate said to try this. i smoke way
    too much weed" it is the weed that matters; and in a wish, what they want comes before what
    they do not ("i dont wanna stop stop. just not be a mess every sunday")."""
    if sum(_size(tokens) + 1 for tokens in kept) <= limit + 1 or len(kept) < 2:
        return kept
    if aim:
        wanted = [t for t in kept if not _NOT_WANTED.match(" ".join(t))]
        if wanted and len(wanted) < len(kept):
            return wanted + [t for t in kept if _NOT_WANTED.match(" ".join(t))]

    def reported(tokens: list[str]) -> bool:
        return bool(_REPORTED.match(" ".join(tokens)))

    first = [t for t in kept if not reported(t)]
    return first + [t for t in kept if reported(t)] if first else kept


def paraphrase(text: str, limit: int = MAX_WORDS, aim: bool = False) -> str | None:
    """What the client meant, in the bot's voice, in at most about `limit` words; None for a
    non-answer or when nothing usable is left. `aim`: the text answers what they want."""
    if not text or is_non_answer(text):
        return None
    # "weed on weekends but thats not really it. i feel lonely": what follows is what they meant.
    setting_aside = _NOT_THE_POINT_HERE.search(text)
    if setting_aside and text[setting_aside.end() :].strip(" .,!?"):
        text = text[setting_aside.end() :]
    parts: list[list[str]] = []
    used = 0
    for tokens in _first_what_matters(_distinct(sentences(text)), limit, aim):
        shifted = _shift(tokens, aim, opening=aim and not parts)
        if not parts:
            shifted = _cut(shifted, limit)
            parts.append(shifted)
            used = _size(shifted)
        elif used + _size(shifted) + 1 <= limit + (_FEELING_SLACK if _feels(tokens) else _SLACK):
            parts.append(shifted)
            used += _size(shifted) + 1
        else:
            break
    if not parts or not parts[0]:
        return None
    return _safe(_join(parts))


def own_words(text: str, limit: int = MAX_WORDS) -> str | None:
    """The client's words, respelled and without fillers but not turned to the bot's side, for
    quoting back where a paraphrase in the bot's voice would sound like an instruction ("stop
    drinking on weeknights" is their aim; in the bot's own voice it would be an order)."""
    if not text or is_non_answer(text):
        return None
    kept = _distinct(sentences(text))
    if not kept:
        return None
    parts = [_cut(kept[0], limit)]
    used = _size(parts[0])
    for tokens in kept[1:]:  # "not mixing it with booze. and no sundays": both, as one
        if used + _size(tokens) + 1 > limit:
            break
        parts.append(tokens)
        used += _size(tokens) + 1
    return ", ".join(_join([part]) for part in parts) or None
