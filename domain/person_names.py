"""People's names as a search compares them: folded (case, accents, punctuation) and the
common English short forms (Bob for Robert), so "zoe o'brien" finds "Zoë O'Brien".

Shared by the person finder (records/finder.py) and anything else that compares a name written
by a person with a catalog's. The nickname table is the matcher's own, written from common
usage, not copied from the synthetic archive's noise (workers/synth/names.py), so a test of one
against the other measures something.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that do not decompose into a base letter and an accent (NFKD leaves them whole).
_NO_DECOMPOSITION = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ı": "i", "œ": "oe"}
)
# An apostrophe joins (O'Brien is obrien); any other non-letter separates (Smith-Jones).
_JOINERS = re.compile(r"['’`ʼ]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")

# Full name -> short forms. Each group is symmetric for the finder: Bob finds Robert and
# Robert finds Bob, and two short forms of one name (Bob, Rob) find each other.
_GROUPS: tuple[tuple[str, ...], ...] = (
    ("robert", "bob", "rob", "bobby", "robbie", "bert"),
    ("william", "bill", "will", "billy", "willie", "liam"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "elsie"),
    ("margaret", "maggie", "peggy", "meg", "madge", "marge"),
    ("patricia", "pat", "patty", "trish", "tricia"),
    ("katherine", "catherine", "kathryn", "kate", "katie", "kathy", "cathy", "kat", "kit"),
    ("james", "jim", "jimmy", "jamie"),
    ("alexander", "alex", "alec", "sandy", "xander"),
    ("alexandra", "alex", "lexi", "sandra"),
    ("daniel", "dan", "danny"),
    ("susan", "sue", "susie", "suzy"),
    ("jessica", "jess", "jessie"),
    ("amelia", "millie", "amy"),
    ("stanley", "stan"),
    ("raymond", "ray"),
    ("harold", "harry", "hal"),
    ("henry", "harry", "hank"),
    ("dennis", "den"),
    ("trevor", "trev"),
    ("malcolm", "mal"),
    ("derek", "del"),
    ("gordon", "gordy"),
    ("richard", "rick", "ricky", "dick", "richie"),
    ("michael", "mike", "mikey", "mick", "mickey"),
    ("thomas", "tom", "tommy"),
    ("joseph", "joe", "joey"),
    ("jonathan", "jon", "jonny"),
    ("john", "jack", "johnny"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("christopher", "chris", "kit"),
    ("christine", "chris", "chrissie", "tina"),
    ("anthony", "tony", "ant"),
    ("benjamin", "ben", "benny"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammie"),
    ("matthew", "matt", "matty"),
    ("nicholas", "nick", "nicky"),
    ("nicola", "nicky", "nikki"),
    ("andrew", "andy", "drew"),
    ("david", "dave", "davey"),
    ("peter", "pete"),
    ("stephen", "steven", "steve"),
    ("frederick", "fred", "freddie"),
    ("charles", "charlie", "chas", "chuck"),
    ("charlotte", "charlie", "lottie"),
    ("victoria", "vicky", "tori"),
    ("rebecca", "becky", "becca"),
    ("deborah", "debbie", "debs"),
    ("jennifer", "jenny", "jen"),
    ("abigail", "abi", "abby"),
    ("olivia", "liv", "livvy"),
    ("isabella", "isabel", "izzy", "bella"),
    ("gabriel", "gabe"),
    ("zachary", "zach", "zack"),
    ("joshua", "josh"),
    ("nathan", "nathaniel", "nat", "nate"),
    ("oliver", "ollie"),
    ("theodore", "theo", "ted"),
    ("frances", "fran", "frankie"),
    ("francis", "frank", "frankie"),
    ("dorothy", "dot", "dolly"),
    ("helen", "nell", "nellie"),
    ("mary", "molly", "polly"),
    ("ann", "anne", "annie", "anna"),
    ("mohammed", "muhammad", "mohammad", "mohamed", "mohamad", "muhammed"),
    ("abdul", "abdal", "abdel"),
    ("yusuf", "yousef", "yousuf", "joseph"),
    ("fatima", "fatimah", "fatma"),
    ("aisha", "ayesha", "aysha"),
    ("hussain", "hussein", "husain"),
    ("chowdhury", "choudhury", "chaudhry", "chowdhry"),
    ("ahmad", "ahmed"),
)


def _forms() -> dict[str, frozenset[str]]:
    forms: dict[str, set[str]] = {}
    for group in _GROUPS:
        for name in group:
            forms.setdefault(name, set()).update(group)
    return {name: frozenset(names - {name}) for name, names in forms.items()}


_OTHER_FORMS = _forms()


def fold(text: str) -> str:
    """Lower case without accents or apostrophes: the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_NO_DECOMPOSITION))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _JOINERS.sub("", plain)


def name_tokens(text: str) -> list[str]:
    """The folded words of a name ("Smith-Jones, Zoë" -> ["smith", "jones", "zoe"])."""
    return list(_tokens(text))  # a list of the caller's own: the cached tuple stays as it is


# The link step folds the same catalog people's names for every document that names them
# (about ten names a document, 6% of a load's main thread); a name is a pure function of its
# text, so each distinct text is folded once. Bounded: a finder's queries are anyone's text.
@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in _SEPARATORS.split(fold(text)) if t)


def other_forms(token: str) -> frozenset[str]:
    """The other forms of a folded name word (its nicknames, or the names it is short for)."""
    return _OTHER_FORMS.get(token, frozenset())
