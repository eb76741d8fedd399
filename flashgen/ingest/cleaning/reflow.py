"""Hard-wrapped lines joined into paragraphs; headings, list items and table rows kept as lines.

The output follows the cleaned-text contract (see ``flashgen.ingest.cleaning``): one paragraph
per line, blank lines between paragraphs, ``#`` headings, ``- `` bullets (two spaces of indent
per level), ``1. `` numbered items, ``|`` table rows. Lines of one list or one table stay together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_BULLET = re.compile(r"^(\s*)(?:[-*+•◦▪‣●○■□➢➤►–]|\uf0a7|\uf0b7)\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,3}|[a-zA-Z])([.)])\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|^[^|]+(?:\s\|\s[^|]*)+$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_QUOTE = re.compile(r"^\s*>\s?")
# a word broken at a line end: "defini-" + "tion" (lower case on both sides)
_BROKEN_WORD = re.compile(r"(?<=[^\W\d_])[-\u00ad\u2010]$")


@dataclass
class _Item:
    indent: str
    marker: str
    words: list[str] = field(default_factory=list)

    def render(self) -> str:
        return f"{self.indent}{self.marker} {' '.join(self.words)}".rstrip()


def _join(words: list[str], line: str, *, repair_hyphens: bool) -> None:
    """Append ``line`` to ``words``, mending a word hyphenated across the line break."""
    line = line.strip()
    if not line:
        return
    if words and _BROKEN_WORD.search(words[-1]):
        if repair_hyphens and line[:1].islower():
            words[-1] = words[-1][:-1] + line
            return
        if line[:1].isalpha():  # "Exception-" + "Handling": a compound, keep its hyphen
            words[-1] = words[-1].rstrip("\u00ad\u2010") + ("" if words[-1][-1] == "-" else "-")
            words[-1] += line
            return
    words.append(line)


def reflow(text: str, *, repair_hyphens: bool = False) -> str:
    """Paragraphs of ``text`` as single lines; see the module docstring for what stays a line."""
    blocks: list[str] = []
    words: list[str] = []  # the paragraph being joined
    items: list[_Item] = []  # the list being built
    rows: list[str] = []  # the table being built
    indents: list[int] = []  # indent of each open list level

    def flush() -> None:
        if words:
            blocks.append(" ".join(words))
            words.clear()
        if items:
            blocks.append("\n".join(item.render() for item in items))
            items.clear()
            indents.clear()
        if rows:
            blocks.append("\n".join(rows))
            rows.clear()

    lines = text.split("\n")
    after_blank = False
    for index, raw in enumerate(lines):
        line = _QUOTE.sub("", raw).rstrip()
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not line.strip():
            if words or rows:
                flush()
            after_blank = True
            continue
        # after a blank line only an indented line still belongs to the last list item
        continues_item = bool(indents) and (
            not after_blank or len(line) - len(line.lstrip()) > indents[-1]
        )
        after_blank = False
        heading = _HEADING.match(line)
        if heading:
            flush()
            if heading.group(2).strip():
                blocks.append(f"{heading.group(1)} {heading.group(2).strip()}")
            continue
        if _SETEXT.match(following) and not items and not rows and line.strip():
            flush()
            level = "#" if following.strip().startswith("=") else "##"
            blocks.append(f"{level} {line.strip()}")
            lines[index + 1] = ""
            continue
        if _RULE.match(line):
            flush()
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or (numbered and (numbered.group(2).isdigit() or items)):
            if words or rows:
                flush()
            indent = len((bullet or numbered).group(1).expandtabs(4))  # type: ignore[union-attr]
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            pad = "  " * (len(indents) - 1)
            if bullet:
                items.append(_Item(pad, "-"))
                _join(items[-1].words, bullet.group(2), repair_hyphens=repair_hyphens)
            else:
                assert numbered is not None
                items.append(_Item(pad, f"{numbered.group(2)}{numbered.group(3)}"))
                _join(items[-1].words, numbered.group(4), repair_hyphens=repair_hyphens)
            continue
        if _TABLE_RULE.match(line) and rows:
            continue
        if _TABLE_ROW.match(line) and not words:
            if items:
                flush()
            rows.append(" | ".join(cell.strip() for cell in line.strip().strip("|").split("|")))
            continue
        if items and continues_item:
            # a lazy or indented continuation of the last item
            _join(items[-1].words, line, repair_hyphens=repair_hyphens)
            continue
        if rows or items:
            flush()
        _join(words, line, repair_hyphens=repair_hyphens)
    flush()
    return "\n\n".join(block for block in blocks if block.strip())
