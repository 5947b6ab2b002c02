"""Identity at the handoff: each volunteer's short personal code for a drive.

The code is derived, never stored: HMAC-SHA256 keyed with SECRET_KEY over the user's and the
event's ids, written in 6 characters of an alphabet without the look-alikes (no 0/O, 1/I).
It appears on the volunteer's "My shifts" page (and as a QR code) on the drive day; whoever
issues or hands over a bucket types or scans it. Changing SECRET_KEY changes every code."""

import hashlib
import hmac

from django.conf import settings

# 32 letters and digits, none easily mistaken for another when read aloud or off a screen.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def personal_code(user, event) -> str:
    """The 6-character code that proves ``user`` is the person on ``event``'s shift."""
    message = f"{user.pk}:{event.pk}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    characters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[index])
    return "".join(characters)


def normalize_code(code: str | None) -> str:
    """What was typed or scanned, upper-cased, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if not ch.isspace() and ch != "-")


def code_matches(code: str | None, user, event) -> bool:
    """Whether ``code`` is ``user``'s code for ``event`` (case and spaces ignored; compared
    in constant time so a guesser learns nothing from the timing)."""
    typed = normalize_code(code)
    if not typed:
        return False
    return hmac.compare_digest(typed.encode(), personal_code(user, event).encode())
