"""Text of an Office paragraph with its equations (OMML) written as LaTeX inline math.

PowerPoint and Word keep equations as Office Math (``m:oMath``) inside the paragraph; python-pptx
and python-docx read only the plain runs, so an equation would vanish from the text. The common
constructs (fractions, sub- and superscripts, roots, delimiters, n-ary operators) become LaTeX;
anything else keeps its characters in order. Mathematical italic letters (𝐸) become plain ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from flashgen.ingest.cleaning.latex import inline

_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_TAGS = {f"{_A}t", f"{_W}t"}
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\\\)\s+([.,;:!?)])")
_BREAK_TAGS = {f"{_A}br", f"{_W}tab", f"{_W}br", f"{_W}cr"}
_NARY = {"∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∮": r"\oint", "⋃": r"\bigcup", "⋂": r"\bigcap"}
_SYMBOLS = {
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\ne",
    "∈": r"\in",
    "→": r"\to",
    "⋅": r"\cdot",
    "×": r"\times",
    "∞": r"\infty",
    "±": r"\pm",
    "⊕": r"\oplus",
    "∀": r"\forall",
    "∃": r"\exists",
    "ε": r"\varepsilon",
    "∅": r"\emptyset",
    "≈": r"\approx",
}


def paragraph_text(paragraph: Any) -> str:
    """The text of a ``a:p`` or ``w:p`` element, equations as ``\\( … \\)``."""
    parts: list[str] = []
    _walk(paragraph, parts)
    # equations are padded with spaces so they never run into a word; not before punctuation
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\\)\1", "".join(parts))


def _walk(element: Any, parts: list[str]) -> None:
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in (f"{_M}oMath", f"{_M}oMathPara"):
            maths = [child] if tag == f"{_M}oMath" else child.iter(f"{_M}oMath")
            parts.extend(f" {inline(_math(m))} " for m in maths)
        elif tag in _TEXT_TAGS:
            parts.append(child.text or "")
        elif tag in _BREAK_TAGS:
            parts.append(" ")  # tabs and line breaks inside a paragraph separate words
        else:
            _walk(child, parts)


def _argument(element: Any, name: str) -> str:
    found = element.find(f"{_M}{name}")
    return _math(found) if found is not None else ""


def _group(text: str) -> str:
    return text if len(text) == 1 else f"{{{text}}}"


def _nary(element: Any) -> str:
    character = element.find(f"{_M}naryPr/{_M}chr")
    symbol = character.get(f"{_M}val") if character is not None else "∫"
    command = _NARY.get(symbol, symbol)
    lower, upper = _argument(element, "sub"), _argument(element, "sup")
    bounds = (f"_{_group(lower)}" if lower else "") + (f"^{_group(upper)}" if upper else "")
    return f"{command}{bounds} {_argument(element, 'e')}"


def _delimited(element: Any) -> str:
    properties = element.find(f"{_M}dPr")
    opening, closing = "(", ")"
    if properties is not None:
        begin, end = properties.find(f"{_M}begChr"), properties.find(f"{_M}endChr")
        opening = begin.get(f"{_M}val", "(") if begin is not None else "("
        closing = end.get(f"{_M}val", ")") if end is not None else ")"
    inner = ", ".join(_math(e) for e in element.findall(f"{_M}e"))
    return f"{opening}{inner}{closing}"


_CONSTRUCTS: dict[str, Callable[[Any], str]] = {
    "f": lambda e: f"\\frac{{{_argument(e, 'num')}}}{{{_argument(e, 'den')}}}",
    "sSub": lambda e: f"{_argument(e, 'e')}_{_group(_argument(e, 'sub'))}",
    "sSup": lambda e: f"{_argument(e, 'e')}^{_group(_argument(e, 'sup'))}",
    "sSubSup": lambda e: (
        f"{_argument(e, 'e')}_{_group(_argument(e, 'sub'))}^{_group(_argument(e, 'sup'))}"
    ),
    "rad": lambda e: f"\\sqrt{{{_argument(e, 'e')}}}",
    "nary": _nary,
    "d": _delimited,
    "bar": lambda e: f"\\overline{{{_argument(e, 'e')}}}",
}


def _math(element: Any) -> str:
    parts: list[str] = []
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag.startswith(_M):
            continue
        name = tag[len(_M) :]
        if name == "t":
            parts.append(_plain(child.text or ""))
        elif name in _CONSTRUCTS:
            parts.append(_CONSTRUCTS[name](child))
        elif not name.endswith("Pr"):  # properties hold no text
            parts.append(_math(child))
    return "".join(parts)


def _plain(text: str) -> str:
    # NFKC maps mathematical italic letters (U+1D400 block) to their plain forms
    out = []
    for character in unicodedata.normalize("NFKC", text):
        symbol = _SYMBOLS.get(character)
        out.append(f"{symbol} " if symbol else character)
    return "".join(out)
