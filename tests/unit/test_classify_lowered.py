"""workers.classify.lowered is str.lower(), whatever the text's characters (its byte table is
only a faster way to the same characters for Latin-1)."""

from __future__ import annotations

from workers.classify import lowered


def test_every_character_of_latin1_and_beyond_lowers_as_str_does() -> None:
    for code in range(0x3000):
        char = chr(code)
        assert lowered(char) == char.lower(), hex(code)
        assert lowered(f"Ab{char}£") == f"Ab{char}£".lower(), hex(code)


def test_texts_of_each_kind() -> None:
    texts = [
        "",
        "Case Note - HOME VISIT",  # ASCII
        "Invoice £20 for CAFÉ NOËL, ÀÉÎÕÜ Þ ß ÿ µ ×",  # Latin-1
        "Strategy ‘Discussion’ – İstanbul ΣΟΦΙΑ",  # beyond it (İ lowers to two characters)
        "Emoji 😀 DOB",
    ]
    for text in texts:
        assert lowered(text) == text.lower()
        assert type(lowered(text)) is str
