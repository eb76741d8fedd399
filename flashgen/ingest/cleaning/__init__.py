"""Cleaning: the stage between extraction and chunking that leaves only lecture content.

Extraction gives the text of each page, slide or file with its structure marked; cleaning removes
what is markup or page furniture and writes the rest in one shape, whatever the source format.

The cleaned-text contract (what chunking and the generators may rely on):

- Headings are lines starting with ``#`` … ``######`` and a space: Markdown headings, the front
  matter's ``title`` (as ``#``), DOCX heading styles, PPTX slide titles and PDF titles found from
  layout. A card's context is its heading path.
- A paragraph is one line (hard wraps joined, words hyphenated across lines mended), and blocks
  are separated by one blank line.
- List items are lines starting with ``- `` (bullets) or ``1. `` (numbered, the source's number
  kept), indented by two spaces per nesting level; the items of one list are consecutive lines.
- Table rows are lines with cells separated by `` | ``; the rows of one table are consecutive.
- Code is in ``` fences (with the language when known), verbatim, never joined into prose.
- Math is ``\\( … \\)`` inline and ``\\[ … \\]`` display (Anki renders both); LaTeX commands
  appear only inside them.
- Inline Markdown that carries meaning stays: ```code``` spans and ``**bold**``/``*emphasis*``
  (authors bold the term they define); ``plain_inline`` removes those marks for display.
- Gone: front matter keys, HTML and Liquid tags, anchors, images, attribute lists, figure
  captions, link targets (the link text stays), headers, footers and page numbers repeated
  across PDF pages. PPTX speaker notes are kept after the slide under a ``Speaker notes:``
  paragraph prefix (see ``flashgen.ingest.extract``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flashgen.ingest.cleaning import markup, pages
from flashgen.ingest.cleaning.notes import drop_restated_notes
from flashgen.ingest.cleaning.reflow import reflow
from flashgen.models import Block, LectureKind

_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?!\w)")
_CODE_MARKS = re.compile(r"(`+)(.+?)\1")
_INNER_TABS = re.compile(r"(?<=\S)\t+")
_FORM_BLANK = re.compile(r"_{4,}")  # "Name: ________" in exam sheets: a field, not content
_OPEN_END = re.compile(r"[^\W\d_,]$|,$")
_STRUCTURE = re.compile(r"#{1,6} |- |\d{1,3}[.)] |```|.* \| |Speaker notes: ")
_HYPHEN_RUN = re.compile("[-\u2010\u2011]\u00ad+[-\u2010\u2011]")
# "git status : view the status …": a short label, a colon, its explanation
_LABELLED = re.compile(r"^(?!Speaker notes:)[^\W\d_][^:.!?]{0,40}?\s?:\s+\S")
_LABEL_WORDS = 4


def clean_blocks(blocks: Sequence[Block], kind: LectureKind) -> list[Block]:
    """The blocks of one lecture, cleaned to the contract above; blocks left empty are dropped."""
    texts = [block.text for block in blocks]
    if kind == "pdf":
        texts = pages.repair_ligatures(pages.drop_page_furniture(texts))
    cleaned = []
    for block, text in zip(blocks, texts, strict=True):
        result = clean_text(text, kind)
        if kind == "pptx":
            result = drop_restated_notes(result)
        if result:
            cleaned.append(block.model_copy(update={"text": result}))
    return _drop_overlays(cleaned) if kind == "pdf" else cleaned


def _drop_overlays(blocks: list[Block]) -> list[Block]:
    """Beamer builds a slide up over several pages (overlays): a page whose text repeats the
    previous page's, or is the start of the next page's, is a step of that build; only the
    last, complete page stays."""
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1].text if index + 1 < len(blocks) else ""
        if kept and block.text == kept[-1].text:
            continue
        if following != block.text and following.startswith(block.text):
            continue
        kept.append(block)
    return kept


def clean_text(text: str, kind: LectureKind) -> str:
    """One block's text cleaned to the contract."""
    text = _normalise_hyphens(text)
    markdown = kind == "md"
    source = kind in ("md", "txt")  # markup written by hand, not text as a reader saw it
    title, text = markup.split_front_matter(text) if kind in ("md", "txt") else (None, text)
    parts = [f"# {title}"] if title else []
    for segment in markup.split_fences(text):
        if segment.is_code:
            parts.append(segment.text)
            continue
        prose = markup.clean_prose(segment.text, markdown=markdown, source=source)
        prose = _INNER_TABS.sub(" ", prose)
        if kind in ("pdf", "docx"):
            prose = _FORM_BLANK.sub("", prose)
        prose = reflow(prose, repair_hyphens=kind == "pdf")
        if kind in ("pdf", "docx", "pptx"):
            prose = _join_broken_paragraphs(prose)
        if kind == "docx":
            prose = _labelled_runs_as_items(prose)
        parts.append(prose)
    return "\n\n".join(part for part in parts if part.strip())


def _join_broken_paragraphs(text: str) -> str:
    """Paragraphs split inside a sentence (Enter pressed mid-sentence in Word or PowerPoint)."""
    blocks = text.split("\n\n")
    joined: list[str] = []
    for block in blocks:
        broken = joined and _OPEN_END.search(joined[-1]) and block[:1].islower()
        broken = broken and not _labelled(block)  # "git status : view …" starts an entry
        if broken and _is_prose(joined[-1]) and _is_prose(block):
            joined[-1] += f" {block}"
            continue
        joined.append(block)
    return "\n\n".join(joined)


def _labelled(block: str) -> bool:
    match = _LABELLED.match(block)
    return bool(match) and len(block.split(":", 1)[0].split()) <= _LABEL_WORDS


def _labelled_runs_as_items(text: str) -> str:
    """Two or more consecutive "label: explanation" paragraphs are a list that Word wrote as
    plain paragraphs (a handout's command list): each becomes its own ``- `` item, so that
    no entry runs into the next."""
    blocks = text.split("\n\n")
    out: list[str] = []
    for index, block in enumerate(blocks):
        neighbours = blocks[max(index - 1, 0) : index] + blocks[index + 1 : index + 2]
        if (
            _is_prose(block)
            and _labelled(block)
            and any(_is_prose(other) and _labelled(other) for other in neighbours)
        ):
            item = f"- {block}"
            if out and out[-1].startswith("- ") and _labelled(out[-1][2:]):
                out[-1] += f"\n{item}"  # the items of one list are consecutive lines
                continue
            out.append(item)
            continue
        out.append(block)
    return "\n\n".join(out)


def _is_prose(block: str) -> bool:
    return "\n" not in block and not _STRUCTURE.match(block)


def _normalise_hyphens(text: str) -> str:
    """Soft hyphens out, Unicode hyphens as "-" ("X-\u00ad\u2010linked" → "X-linked")."""
    text = _HYPHEN_RUN.sub("-", text)
    return text.replace("\u00ad", "").replace("\u2010", "-").replace("\u2011", "-")


def plain_inline(text: str) -> str:
    """``text`` without inline Markdown marks (bold, emphasis, code backticks), for display."""
    text = _CODE_MARKS.sub(r"\2", text)
    return _EMPHASIS.sub(lambda match: match.group(2) or match.group(3), text)
