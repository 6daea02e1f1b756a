"""Web addresses in an outcome become links; everything else stays escaped text."""

from __future__ import annotations

import pytest

from consult.linked_text import linked


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("no address here", "no address here"),
        (
            "Minutes: https://example.org/minutes?id=4&page=2.",
            'Minutes: <a href="https://example.org/minutes?id=4&amp;page=2" '
            'rel="nofollow noopener noreferrer" dir="ltr">'
            "https://example.org/minutes?id=4&amp;page=2</a>.",
        ),
        (
            "(see http://example.org/a), then",
            '(see <a href="http://example.org/a" rel="nofollow noopener noreferrer" '
            'dir="ltr">http://example.org/a</a>), then',
        ),
        (
            "https://en.wikipedia.org/wiki/Bus_(disambiguation)!",
            '<a href="https://en.wikipedia.org/wiki/Bus_(disambiguation)" '
            'rel="nofollow noopener noreferrer" dir="ltr">'
            "https://en.wikipedia.org/wiki/Bus_(disambiguation)</a>!",
        ),
        (
            "[https://example.org/a] «https://example.org/b» “https://example.org/c”",
            '[<a href="https://example.org/a" rel="nofollow noopener noreferrer" dir="ltr">'
            'https://example.org/a</a>] «<a href="https://example.org/b" '
            'rel="nofollow noopener noreferrer" dir="ltr">https://example.org/b</a>» '
            '“<a href="https://example.org/c" rel="nofollow noopener noreferrer" dir="ltr">'
            "https://example.org/c</a>”",
        ),
        (
            "انظر https://example.org/ar، ثم",
            'انظر <a href="https://example.org/ar" rel="nofollow noopener noreferrer" dir="ltr">'
            "https://example.org/ar</a>، ثم",
        ),
        (
            "见https://example.org/minutes。会议决定（https://example.org/b）",
            '见<a href="https://example.org/minutes" rel="nofollow noopener noreferrer" '
            'dir="ltr">https://example.org/minutes</a>。会议决定（<a href="https://example.org/b" '
            'rel="nofollow noopener noreferrer" dir="ltr">https://example.org/b</a>）',
        ),
        # Not web addresses: left as text, escaped.
        ("javascript:alert(1) and ftp://example.org", "javascript:alert(1) and ftp://example.org"),
        ("https://. is nothing", "https://. is nothing"),
        ('<b>bold</b> "quoted"', "&lt;b&gt;bold&lt;/b&gt; &#34;quoted&#34;"),
        (
            'https://example.org/"><script>',
            '<a href="https://example.org/" rel="nofollow noopener noreferrer" dir="ltr">'
            "https://example.org/</a>&#34;&gt;&lt;script&gt;",
        ),
    ],
)
def test_addresses_become_links_and_the_rest_is_escaped(text: str, html: str) -> None:
    assert str(linked(text)) == html


def test_nothing_is_an_empty_text() -> None:
    assert str(linked(None)) == ""
