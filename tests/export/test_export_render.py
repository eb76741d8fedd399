from __future__ import annotations

import pytest

from flashgen.export.render import clean, stable_ident, stable_int, tags, to_html, to_mathjax


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Area is $\\pi r^2$.", "Area is \\(\\pi r^2\\)."),
        ("Sum: $$\\sum_i x_i$$ done", "Sum: \\[\\sum_i x_i\\] done"),
        ("$$a\nb$$", "\\[a\nb\\]"),
        ("$a$ and $b$", "\\(a\\) and \\(b\\)"),
        # Prices: an opening $ followed by a digit only closes on a $ after a non-space.
        ("It costs $5 and $10.", "It costs $5 and $10."),
        ("Between $5-$10 per unit", "Between $5-$10 per unit"),
        ("Pay $5, then see $x$", "Pay $5, then see \\(x\\)"),
        # Escaped dollars stay literal (and lose the backslash) and never open math.
        ("A \\$5 fee and \\$x\\$", "A $5 fee and $x$"),
        ("$ x $ is not math", "$ x $ is not math"),
        ("lone $ sign", "lone $ sign"),
        ("escaped inside $a\\$b$", "escaped inside \\(a\\$b\\)"),
    ],
)
def test_math_delimiters(text: str, expected: str) -> None:
    assert to_mathjax(text) == expected


def test_html_escapes_markup_after_math() -> None:
    assert to_html("$a<b$ & <i>x</i>\nnext") == "\\(a&lt;b\\) &amp; &lt;i&gt;x&lt;/i&gt;<br>next"


def test_clean_drops_control_characters_but_keeps_layout() -> None:
    assert clean("a\x0cb\x1fc\td\r\ne\x00") == "abc\td\ne"


def test_tags_have_no_spaces_and_no_duplicates() -> None:
    assert tags("algo 101", "lec_1", "  Sorting\talgorithms ", "", "lec_1") == [
        "algo_101",
        "lec_1",
        "Sorting_algorithms",
    ]
    assert len(tags("x" * 500)[0]) == 64


def test_stable_ids_are_fixed_and_in_range() -> None:
    assert stable_int("flashgen:deck:a") == stable_int("flashgen:deck:a")
    assert stable_int("flashgen:deck:a") != stable_int("flashgen:deck:b")
    assert (1 << 30) <= stable_int("anything") < (1 << 31)
    assert stable_ident("c", "l", 1) == stable_ident("c", "l", 1)
    assert stable_ident("c", "l", 1).startswith("g")
    assert stable_ident("c", "l1") != stable_ident("c", "l", 1)
