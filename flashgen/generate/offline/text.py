"""Reading a cleaned chunk for the offline generator: sentences with their heading path,
the language the text is written in, and the tests for words and markup that make a card junk.

The cleaning stage hands over markdown-like text: ``#`` headings, ``- `` list items, code in
``` fences, math in ``\\( \\)`` / ``\\[ \\]``, one paragraph a line. Code blocks are skipped:
they are never the answer of a definition card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _wordset(text: str) -> frozenset[str]:
    """Whitespace-separated words (long word lists stay readable as text)."""
    return frozenset(text.split())


# fmt: off
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _wordset(
        """
        a an the and or but if then than so of to in on at by for from with without into
        onto over under about as is are was were be been being am do does did done have has
        had not no nor it its this that these those there here which who whom whose what
        when where why how we you he she they i me my our your his her their them us one
        ones some any all each every both either neither other another such same own more
        most less least very also just only can could may might must shall should will would
        let lets let's via per however thus hence therefore while although because since
        though whereas yet still
        """
    ),
    "de": _wordset(
        """
        der die das den dem des ein eine einer einen einem eines und oder aber wenn dann als
        auch noch nur so zu im in am an auf aus bei mit nach von vor für über unter um durch
        ist sind war waren sein wird werden wurde hat haben hatte nicht kein keine keinen es
        er sie wir ihr ich man sich dies diese dieser dieses jene welche welcher was wer wie
        wo warum dass daß da hier dort alle jede jeder jedes sehr mehr weniger kann können
        muss müssen soll sollte darf dürfen will wollen also denn doch ja nein zum zur beim
        vom
        """
    ),
    "ru": _wordset(
        """
        и в во не на с со по для что это как а но или из к у о об от до за же ли бы то так
        все всё его её их он она они мы вы я там тут где когда если чтобы при без над под
        """
    ),
}
# Words that name parts of a document, not content: never a card's term.
META_TERMS = _wordset(
        """
        title subtitle author authors date summary abstract answer answers question
        questions example examples note notes exercise exercises episode slide slides
        lecture lectures outline agenda overview contents objectives keypoints teaching
        homework deadline source sources figure table permalink layout reference references
        solution solutions task tasks hint hints tip tips warning caution nb ps q a step
        steps part chapter section goal goals beispiel beispiele folge folgen
        zusammenfassung hinweis hinweise aufgabe aufgaben frage fragen antwort antworten
        lösung lösungen ziel ziele inhalt literatur quelle quellen übung übungen achtung
        anmerkung definition idee problem fazit regel speaker merksatz faustregel wichtig
        пример примеры задача задачи количество вопрос вопросы ответ итог дедлайн штраф простыми
    простое
        """
    )
# fmt: on
PRONOUNS = _wordset(
    """
    it this that these those they we you he she i one which who what there here es dies
    diese dieser dieses sie er wir ihr man
    """
)
_LANGUAGE_NAMES = {
    "en": "en",
    "english": "en",
    "de": "de",
    "german": "de",
    "deutsch": "de",
    "ru": "ru",
    "russian": "ru",
}
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-zÄÖÜäöüß]")
# Markup that must never reach a card: front-matter keys, HTML tags, Liquid, LaTeX commands
# outside \( \) / \[ \] math, markdown links and images, table rules.
_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_MARKUP = re.compile(
    r"^\s*[a-z_]+:\s*$|^(?:permalink|layout|title|author|date|tags|categories)\s*:"
    r"|</?[a-zA-Z][^>]*>|\{[%{]|[%}]\}|\\[a-zA-Z]+|!\[|\]\(|\|\s*-{3}|^\s*\d{1,3}\s*$"
)
_SENTENCE_SPLIT = re.compile(
    r"(?<=[.!?])\s+(?=[A-ZÄÖÜА-ЯЁ0-9\"“„(])"
    # Russian capitalises only sentence starts and names: a capital after a lower-case word
    # is where two slide lines were joined without a full stop.
    r"|(?<=[а-яё])\s+(?=[А-ЯЁ][а-яё]+\s+[а-яё])"
)
_BULLET = re.compile(r"^\s*(?:[-*•▪◦]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"(?<![\w*\\])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
# A full stop that ends an abbreviation, not a sentence ("z.B. I/O", "e.g. The …").
_ABBREVIATION = re.compile(
    r"(?:\b(?:z\.\s?B|e\.\s?g|i\.\s?e|d\.\s?h|u\.\s?a|bzw|ca|vs|etc|Dr|Prof|Nr|bspw|usw)\.)$", re.I
)


def _rejoin_abbreviations(parts: list[str]) -> list[str]:
    joined: list[str] = []
    for part in parts:
        if joined and _ABBREVIATION.search(joined[-1]):
            joined[-1] += " " + part
        else:
            joined.append(part)
    return joined


def has_markup(text: str) -> bool:
    """Front matter, HTML, Liquid, a LaTeX command outside math, a link or a lone number."""
    return bool(_MARKUP.search(_MATH.sub(" ", text)))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def language_code(name: str) -> str:
    """``course.toml``'s language ("German", "de", …) as a short code; unknown names stay."""
    return _LANGUAGE_NAMES.get(name.strip().lower(), name.strip().lower())


def detect_language(text: str, declared: str = "English") -> str:
    """The course's declared language, unless the text plainly is another one.

    "English" is also the default when ``course.toml`` says nothing, so the text decides then:
    Cyrillic letters mean Russian; otherwise German and English stopwords are counted."""
    code = language_code(declared)
    if code != "en":
        return code
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic > latin:
        return "ru"
    tokens = [w.lower() for w in words(text)]
    german = sum(1 for w in tokens if w in STOPWORDS["de"] and w not in STOPWORDS["en"])
    english = sum(1 for w in tokens if w in STOPWORDS["en"] and w not in STOPWORDS["de"])
    return "de" if german > 1.5 * english and german >= 5 else "en"


def is_stopword(word: str) -> bool:
    low = word.lower()
    return any(low in stop for stop in STOPWORDS.values()) or low in PRONOUNS


@dataclass
class Sentence:
    text: str
    path: tuple[str, ...]  # the headings above the sentence, outermost first
    offset: int  # where its line starts in the chunk
    index: int  # position among the chunk's sentences
    listed: bool  # came from a list item ("- Term: explanation")
    closed: bool  # ends with a full stop, or ends its paragraph or list item (not cut off)
    lead: bool  # the first sentence of its paragraph or list item

    @property
    def heading(self) -> str:
        return self.path[-1] if self.path else ""

    @property
    def context(self) -> str:
        return " › ".join(self.path)


@dataclass
class _Line:
    text: str
    offset: int
    path: tuple[str, ...]
    listed: bool


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` carries on a hard-wrapped ``previous`` line. Cleaned text has one
    paragraph a line, so this only matters for text that did not go through cleaning."""
    if not previous or previous.endswith((".", "!", "?", ":")) or _BULLET.match(line):
        return False
    last = previous.split()[-1]
    return is_stopword(last) or line[:1].islower()


def _lines(text: str) -> list[_Line]:
    """Paragraphs and list items of prose with their heading path; code, fences and directive
    lines left out."""
    lines: list[_Line] = []
    path: list[tuple[int, str]] = []
    offset = 0
    in_code = False
    previous = ""
    for raw in text.split("\n"):
        line_offset = offset
        offset += len(raw) + 1
        line = raw.strip()
        if line.startswith("```"):
            in_code = not in_code
            previous = ""
            continue
        if in_code or not line or line.startswith((":::", "---", "\\", "<", "{%")):
            previous = ""
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            depth, title = len(heading.group(1)), heading.group(2).strip()
            path = [(d, t) for d, t in path if d < depth] + [(depth, title)]
            previous = ""
            continue
        if lines and _continues(previous, line):
            lines[-1].text += " " + line
        else:
            listed = bool(_BULLET.match(line))
            lines.append(
                _Line(_BULLET.sub("", line), line_offset, tuple(t for _, t in path), listed)
            )
        previous = line
    return lines


def sentences(text: str) -> list[Sentence]:
    """The chunk's prose and list items as sentences, each with its heading path."""
    found: list[Sentence] = []
    for line in _lines(text):
        body = _EMPHASIS.sub(r"\1", line.text.replace("**", "").replace("__", ""))
        body = re.sub(r"^(?:speaker notes|notes|notizen)\s*:\s*", "", body, flags=re.I)
        parts = _rejoin_abbreviations(_SENTENCE_SPLIT.split(body))
        parts = [p.strip() for p in parts if len(p.strip()) > 3]
        for number, part in enumerate(parts):
            # A part ending in a Cyrillic letter was split where two lines were joined.
            closed = (
                part.endswith((".", "!", "?"))
                or number == len(parts) - 1
                or bool(re.search(r"[а-яё]$", part))
            )
            found.append(
                Sentence(part, line.path, line.offset, len(found), line.listed, closed, number == 0)
            )
    return found
