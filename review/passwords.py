"""What a counselor's password must be: long enough, not blank, and not guessable.

Guessability is judged by zxcvbn (pinned in pyproject.toml; its lists of common passwords,
names and words ship inside the package, nothing is downloaded): a password must score at
least MIN_SCORE of 4, which it cannot do if it is common, a keyboard walk, a repeat, a
sequence, a date or built on the account's own name."""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash attacks"
JUDGED = 72  # zxcvbn's own limit: the first 72 characters are judged (the rest only add)
OWN_WORDS = ("alongside", "counselor", "dashboard", "review")


def problem(password: str, *, username: str = "") -> str | None:
    """Why the password is refused, fit to show; None if it will do."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    if not password.strip():
        return "a password cannot be only spaces"
    judged = zxcvbn(
        password[:JUDGED], user_inputs=[username, *OWN_WORDS] if username else OWN_WORDS
    )
    if judged["score"] < MIN_SCORE:
        why = judged["feedback"]["warning"] or "it would be easy to guess"
        return f"that password is too easy to guess ({why.rstrip('.')}); try a few unrelated words"
    return None
