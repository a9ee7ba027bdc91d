"""How legacy documents misquote a person's name: nicknames, other spellings and typos.

Used by the noisy archive (workers/synth/noise.py). The tables are small on purpose: enough
that every kind of variation a matcher must see past occurs, each a real and common one.
"""

from __future__ import annotations

import random

# Given names the noisy archive adds to the pools, so the variants below have people to apply to.
NOISY_CHILD_NAMES = (
    "Mohammed", "Aisha", "Yusuf", "Fatima", "Alexander", "Katherine", "Daniel", "Jessica",
    "William", "Elizabeth",
)  # fmt: skip
NOISY_ADULT_NAMES = (
    "Robert", "Elizabeth", "William", "Susan", "James", "Catherine", "Mohammed", "Abdul",
)  # fmt: skip
NOISY_FAMILY_NAMES = ("Hussain", "Chowdhury", "Ahmad", "Mohammed")

# Name -> the short forms letters use for it (Bob for Robert, Liz for Elizabeth).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "William": ("Bill", "Will", "Billy"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Patricia": ("Pat", "Trish"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Catherine": ("Cathy", "Kate"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Alexander": ("Alex", "Xander"),
    "Daniel": ("Dan", "Danny"),
    "Susan": ("Sue", "Susie"),
    "Jessica": ("Jess",),
    "Amelia": ("Millie", "Amy"),
    "Stanley": ("Stan",),
    "Raymond": ("Ray",),
    "Harold": ("Harry",),
    "Dennis": ("Den",),
    "Trevor": ("Trev",),
    "Malcolm": ("Mal",),
    "Derek": ("Del",),
    "Gordon": ("Gordy",),
    "Abdul": ("Abdal",),
}
# Spellings of one name in the Latin alphabet (transliterations, diacritics, apostrophes).
SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad"),
    ("Aisha", "Ayesha", "Aysha"),
    ("Yusuf", "Yousef", "Yusef"),
    ("Fatima", "Fatimah"),
    ("Zara", "Zahra"),
    ("Layla", "Leila", "Laila"),
    ("Aiden", "Aidan"),
    ("Jayden", "Jaden"),
    ("Reuben", "Ruben"),
    ("Zoë", "Zoe"),
    ("Siân", "Sian"),
    ("Hussain", "Hussein", "Husain"),
    ("Chowdhury", "Choudhury", "Chaudhry"),
    ("Ahmed", "Ahmad"),
    ("O'Brien", "OBrien", "O Brien"),
)
_SPELLING_OF = {name: tuple(n for n in group if n != name) for group in SPELLINGS for name in group}

# Neighbouring keys on a UK keyboard: the substitutions a typist makes.
_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}  # fmt: skip


def variants(name: str) -> tuple[str, ...]:
    """Other forms a document may give for this name (nicknames and other spellings)."""
    return NICKNAMES.get(name, ()) + _SPELLING_OF.get(name, ())


def typo(rng: random.Random, name: str) -> str:
    """The name with one keying slip (a wrong neighbouring key, a dropped, doubled or swapped
    letter), never in the first letter, which people rarely get wrong; always differs."""
    if len(name) < 3:
        return name + name[-1]
    for _ in range(20):
        at = rng.randrange(1, len(name) - 1) if len(name) > 3 else 1
        letter = name[at]
        slip = rng.choice(("substitute", "drop", "double", "swap"))
        if slip == "substitute" and letter.lower() in _NEIGHBOURS:
            new = rng.choice(_NEIGHBOURS[letter.lower()])
            out = name[:at] + (new.upper() if letter.isupper() else new) + name[at + 1 :]
        elif slip == "drop":
            out = name[:at] + name[at + 1 :]
        elif slip == "double":
            out = name[: at + 1] + letter + name[at + 1 :]
        else:
            out = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
        if out != name:
            return out
    return name + name[-1]
