"""Deterministic Salesforce-shaped ids and named random streams."""

from __future__ import annotations

import random
import string
from collections import defaultdict

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM = string.ascii_uppercase + "012345"
_POD = "5g"
_FIRST_COUNTER = 2_000_000
# Records added to an existing sequence later (pipeline movements): a range after all others,
# so the ids handed out in creation order stay as they were.
_LATER_COUNTER = 500_000_000

KEY_PREFIX: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "UserRole": "00E",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "OpportunityStage": "01J",
    "OpportunitySplit": "149",
    "OpportunitySplitType": "1CS",
}


def _base62(n: int, width: int) -> str:
    chars = []
    while n:
        n, rem = divmod(n, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars)).rjust(width, "0")


# Maps every character to "1" when it is an upper-case letter, else "0".
_CASE_BITS = str.maketrans({ch: "1" if ch.isupper() else "0" for ch in BASE62})


def checksum_suffix(id15: str) -> str:
    """The 3-character suffix Salesforce derives from the letter case of a 15-character id:
    per 5-character chunk, a bit per upper-case letter (first character = lowest bit)."""
    bits = id15.translate(_CASE_BITS)
    return "".join(_CHECKSUM[int(bits[i : i + 5][::-1], 2)] for i in (0, 5, 10))


def sf_id(prefix: str, counter: int) -> str:
    """18-character id: key prefix, pod, base62 counter, checksum suffix."""
    id15 = f"{prefix}{_POD}{_base62(counter, 10)}"
    return id15 + checksum_suffix(id15)


class IdFactory:
    """Hands out ids per object in creation order; the same calls give the same ids."""

    def __init__(self, first: int = _FIRST_COUNTER) -> None:
        """``first``: the first counter of every object (records made later than the generation
        run, such as a nightly drop's, take a range of their own)."""
        self._next: defaultdict[str, int] = defaultdict(lambda: first)
        self._later: defaultdict[str, int] = defaultdict(lambda: _LATER_COUNTER)

    def new(self, sobject: str) -> str:
        prefix = KEY_PREFIX[sobject]
        counter = self._next[prefix]
        self._next[prefix] = counter + 1
        return sf_id(prefix, counter)

    def later(self, sobject: str) -> str:
        """An id from a separate range above every ``new`` one (own counter per prefix)."""
        prefix = KEY_PREFIX[sobject]
        counter = self._later[prefix]
        self._later[prefix] = counter + 1
        return sf_id(prefix, counter)


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream per concern, so one part's draws never shift another's."""
    return random.Random(f"spm-demo:{seed}:{name}")
