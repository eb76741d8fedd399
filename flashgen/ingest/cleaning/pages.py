"""PDF page furniture and broken ligatures, judged across all the pages of one document.

Headers, footers and page numbers are the lines at the top or bottom of a page that repeat (with
their numbers changed) on many pages. Broken ligatures come from fonts whose character map sends
the "ti", "tt", "tti" or "fi" glyph to an unrelated character ("ques3on", "pa>erns", "pu-ng"):
a character is taken for a ligature only when the document shows it inside at least three
different lower-case words (a font bug is consistent; a real "3" or ">" is not inside words);
which ligature it stands for is chosen by letter trigrams of the document's intact words and a
short list of common words that hold each ligature (the broken words themselves teach nothing).
Once one character is shown broken that way, the others (a hyphen too) need fewer words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_EDGE_LINES = 3
_PAGE_NUMBER = re.compile(
    r"^(?:#+\s+)?(?:(?:page|p\.|seite|s\.|slide|folie|стр\.?|слайд)\s*)?\d{1,4}"
    r"(?:\s*(?:/|of|von|из)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")

_LIGATURES = ("fi", "fl", "ff", "ffi", "ffl", "ft", "ti", "tt", "tti", "th", "st")
# a character that cannot be inside a word, between lower-case letters
_SUSPECT = re.compile(r"(?<![^\W\d_])([^\W\d_]*[a-zß-ÿ])([0-9A-Z<>=@#%&*+|~^-])([a-zß-ÿ][^\W\d_]*)")
_WORD = re.compile(r"[^\W\d_]+")
_EVIDENCE_WORDS = 3
# Common words holding each ligature, so its letters have trigrams even when every such word of
# the document is broken (English and German; a wrong pick is a misspelling, never lost text).
_SEED_WORDS = [
    "question",
    "relation",
    "action",
    "function",
    "nation",
    "motion",
    "position",
    "condition",
    "tradition",
    "potential",
    "essential",
    "partial",
    "genetic",
    "multiple",
    "particular",
    "activity",
    "relative",
    "native",
    "attention",
    "pattern",
    "matter",
    "little",
    "better",
    "letter",
    "attack",
    "attempt",
    "attend",
    "bottom",
    "settle",
    "putting",
    "getting",
    "setting",
    "cutting",
    "fitting",
    "sitting",
    "betting",
    "after",
    "often",
    "soft",
    "left",
    "lift",
    "shift",
    "craft",
    "first",
    "find",
    "file",
    "field",
    "final",
    "fish",
    "office",
    "official",
    "flow",
    "floor",
    "fly",
    "flat",
    "flag",
    "reflect",
    "conflict",
    "effect",
    "effort",
    "offer",
    "differ",
    "different",
    "difficult",
    "coffee",
    "suffix",
    "sufficient",
    "affect",
    "staff",
    "stuff",
    "waffle",
    "schiff",
    "treffen",
    "stoff",
    "kraft",
    "luft",
    "heft",
    "mitte",
    "bitte",
    "fortsetzung",
]


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lstrip("# ").split()).lower())


def drop_page_furniture(texts: Sequence[str]) -> list[str]:
    """Pages without their lone page numbers and the edge lines repeated on many pages."""
    pages = [text.split("\n") for text in texts]
    edges = [_edge_indexes(lines) for lines in pages]
    counts: Counter[str] = Counter()
    for lines, indexes in zip(pages, edges, strict=True):
        counts.update({_key(lines[i]) for i in indexes})
    threshold = max(3, math.ceil(len(pages) / 2))
    repeated = {key for key, count in counts.items() if count >= threshold and key.strip("#")}
    result = []
    for lines, indexes in zip(pages, edges, strict=True):
        dropped = {
            i for i in indexes if _key(lines[i]) in repeated or _PAGE_NUMBER.match(lines[i].strip())
        }
        result.append("\n".join(line for i, line in enumerate(lines) if i not in dropped))
    return result


def _edge_indexes(lines: list[str]) -> set[int]:
    """The first and last lines of a page with text, code excepted (a "}" ends many pages)."""
    filled = []
    in_code = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            in_code = not in_code
        elif line.strip() and not in_code:
            filled.append(i)
    return set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:])


class _Trigrams:
    def __init__(self, words: list[str]) -> None:
        self.counts: Counter[str] = Counter()
        self.prefixes: Counter[str] = Counter()
        for word in words:
            padded = f"^{word}$"
            for i in range(len(padded) - 2):
                self.counts[padded[i : i + 3]] += 1
                self.prefixes[padded[i : i + 2]] += 1
        self.alphabet = len({c for word in words for c in word}) + 1

    def score(self, word: str) -> float:
        """Log-probability of ``word`` letter by letter: higher reads more like the document."""
        total = 0.0
        padded = f"^{word}$"
        for i in range(len(padded) - 2):
            trigram = padded[i : i + 3]
            seen = self.prefixes[trigram[:2]] + 0.1 * self.alphabet
            total += math.log((self.counts[trigram] + 0.1) / seen)
        return total


def repair_ligatures(texts: Sequence[str]) -> list[str]:
    """Pages with broken ligature characters read back as the ligature the document supports."""
    joined = "\n".join(texts)
    suspects = list(_SUSPECT.finditer(joined))
    if not suspects:
        return list(texts)
    rest = _SUSPECT.sub(" ", joined)
    known = {w.lower() for w in _WORD.findall(rest)}
    model = _Trigrams([w for w in known if len(w) > 2] + list(_SEED_WORDS))
    excluded: set[str] = set()  # suspect words that read as compounds or camelCase
    votes: dict[str, Counter[str]] = {}
    distinct: dict[str, set[str]] = {}
    for match in suspects:
        before, character, after = (group.lower() for group in match.groups())
        best = max(_LIGATURES, key=lambda lig: model.score(f"{before}{lig}{after}"))
        compound = character == "-" and (before in known or after in known)
        camel = (
            character.isalpha()
            and len(after) > 2
            and model.score(before) + model.score(character + after)
            >= model.score(f"{before}{best}{after}")
        )
        # gene names and identifiers ("ErDt", "XwY"): an upper-case letter only after lower case
        symbol = character.isupper() and not before.islower()
        if compound or camel or symbol:  # "well-known", "getMessage": two words, no ligature
            excluded.add(match.group(0))
            continue
        votes.setdefault(match.group(2), Counter())[best] += 1
        distinct.setdefault(match.group(2), set()).add(match.group(0).lower())
    # a font bug is consistent: a character counts only when it breaks three different words
    broken = {c for c in votes if c != "-" and len(distinct[c]) >= _EVIDENCE_WORDS}
    if not broken:
        return list(texts)
    # with the font shown broken, other non-letters need no more than their own words; a letter
    # always needs three (a stray capital is more often a symbol than a ligature)
    mapping = {
        c: counter.most_common(1)[0][0]
        for c, counter in votes.items()
        if c in broken or not c.isalpha()
    }

    def mend(match: re.Match[str]) -> str:
        before, character, after = match.groups()
        ligature = None if match.group(0) in excluded else mapping.get(character)
        return f"{before}{ligature}{after}" if ligature else match.group(0)

    mended = []
    for text in texts:
        for _ in range(3):  # a word can hold the character twice: "sta3s3cally"
            text = _SUSPECT.sub(mend, text)
        mended.append(text)
    return mended
