"""Legacy text files as UK archives hold them: Windows-1252 wins a tie; other codings stay."""

from __future__ import annotations

import pytest

from workers.extract.text import decode_guessing

UK_LETTERS = [
    "Payment of £150 was made on 3rd May. Balance £0.",
    "Dear Mrs Smith,\nThe fee is £25.00 for the report — see the café note. Regards",
    "Mileage claim: £12.60 (42 miles at 30p). Approved – J. O’Brien, team manager.",
    "Le père a déclaré que l'enfant était à l'école.",
]


@pytest.mark.parametrize("text", UK_LETTERS)
def test_windows_1252_letters_keep_their_pound_signs_and_accents(text: str) -> None:
    assert decode_guessing(text.encode("cp1252")) == text


@pytest.mark.parametrize(
    ("text", "coding"),
    [
        ("Zażółć gęślą jaźń. Proszę o kontakt w sprawie dziecka, które mieszka w Łodzi.", "cp1250"),
        ("Здравствуйте, это письмо о ребёнке и его семье.", "cp1251"),
        ("Payment of £150 — received with thanks.", "utf-8"),
    ],
)
def test_other_codings_are_still_found(text: str, coding: str) -> None:
    assert decode_guessing(text.encode(coding)) == text
