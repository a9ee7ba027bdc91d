"""The viewer's server side: the search's words as the index's stems, marked in escaped text
page by page, and which PDF the page shows (api/web/viewer.py)."""

from __future__ import annotations

from api.web.viewer import mark, page_texts, search_terms, viewer_source


def test_terms_are_the_index_stems_of_the_searchs_words() -> None:
    assert search_terms("Visits") == ("visit",)
    # Phrases are split into their words; repeats and one-letter words are dropped.
    assert set(search_terms('"child protection" visit visits a')) == {"child", "protect", "visit"}
    # Operators are only words, as they are to the search itself.
    assert "and" in search_terms("home AND visit")
    assert search_terms("") == () and search_terms('"" **') == ()


def test_terms_longest_first_so_the_longer_match_wins() -> None:
    terms = search_terms("care careful")
    assert list(terms) == sorted(terms, key=len, reverse=True)


def test_marks_words_that_start_with_a_term_and_escapes_the_rest() -> None:
    text = "Visited <script>alert(1)</script> & revisit; VISITS ok"
    marked = str(mark(text, search_terms("visit")))
    assert marked.count("<mark>") == 2
    assert "<mark>Visited</mark>" in marked and "<mark>VISITS</mark>" in marked
    assert "re<mark>" not in marked  # not inside another word
    assert "<script>" not in marked and "&lt;script&gt;" in marked and "&amp;" in marked


def test_a_term_with_regex_characters_is_literal() -> None:
    assert str(mark("a.b axb", ["a.b"])) == "<mark>a.b</mark> axb"


def test_no_terms_is_the_escaped_text() -> None:
    assert str(mark("<b>x</b>", ())) == "&lt;b&gt;x&lt;/b&gt;"


def test_text_pages_follow_the_extractors_page_breaks() -> None:
    pages = page_texts("one\n\ftwo visit\f", search_terms("visit"))
    assert [str(p) for p in pages] == ["one", "two <mark>visit</mark>", ""]
    assert page_texts("  \n", ()) == []
    assert len(page_texts("no breaks at all", ())) == 1


def test_the_viewer_shows_the_rendition_else_a_pdfs_own_file() -> None:
    made = {"state": "made", "pages": 2, "method": "ocr", "reason": None}
    waiting = {"state": "waiting", "pages": 0, "method": "", "reason": None}
    failed = {"state": "failed", "pages": 0, "method": "", "reason": "timeout"}
    tiff = {"mime": "image/tiff"}
    pdf = {"mime": "application/pdf"}
    assert (
        viewer_source(7, {**tiff, "rendition": made}, view_id=3) == "/documents/7/rendition?view=3"
    )
    assert (
        viewer_source(7, {**pdf, "rendition": made}, view_id=3) == "/documents/7/rendition?view=3"
    )
    assert (
        viewer_source(7, {**pdf, "rendition": waiting}, view_id=3) == "/documents/7/content?view=3"
    )
    assert (
        viewer_source(7, {**pdf, "rendition": failed}, view_id=3) == "/documents/7/content?view=3"
    )
    assert viewer_source(7, {**tiff, "rendition": waiting}, view_id=3) is None
    assert viewer_source(7, {**tiff, "rendition": failed}, view_id=3) is None
