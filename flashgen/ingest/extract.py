"""Text out of lecture files, with page, slide and heading structure kept.

Each extractor returns ``Block``s: one per page (PDF), per slide (PPTX) or per file (MD, TXT,
DOCX). Headings are written as Markdown ``#`` lines so the chunker can break at them whatever
the source format. PDF, PPTX and DOCX libraries are imported only when such a file is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flashgen.errors import LectureSkipped
from flashgen.ingest import omml, pdf_layout
from flashgen.ingest.textcodec import decode_unicode
from flashgen.models import Block, Lecture, LectureKind

# Fewer meaningful characters than this and a lecture is treated as empty.
MIN_TEXT_CHARS = 20


@dataclass
class Extraction:
    blocks: list[Block]
    warnings: list[str] = field(default_factory=list)

    @property
    def char_count(self) -> int:
        return sum(len(block.text.strip()) for block in self.blocks)


def extract(lecture: Lecture, max_bytes: int | None = None) -> Extraction:
    """Read one lecture; raise ``LectureSkipped`` with the reason when it has no usable text."""
    try:
        size = lecture.path.stat().st_size
    except OSError as exc:
        raise LectureSkipped(f"cannot read {lecture.path.name}: {exc.strerror}") from exc
    if size == 0:
        raise LectureSkipped("empty file", "add content or remove the file")
    if max_bytes is not None and size > max_bytes:
        raise LectureSkipped(
            f"file is {_megabytes(size)}, over the {_megabytes(max_bytes)} limit",
            "raise FLASHGEN_MAX_FILE_MB or split the lecture",
        )
    extraction = _EXTRACTORS[lecture.kind](lecture.path)
    if extraction.char_count < MIN_TEXT_CHARS:
        if lecture.kind == "pdf":
            raise LectureSkipped(
                "no extractable text (scanned? run OCR first)",
                "run OCR (e.g. ocrmypdf) on the PDF and try again",
            )
        raise LectureSkipped("empty file (no text)", "add content or remove the file")
    return extraction


def _megabytes(size: int) -> str:
    """``1.5 MB``, ``50 MB``, ``0.01 MB``: three significant digits, so small limits show."""
    return f"{size / 1e6:.3g} MB"


# --- plain text ----------------------------------------------------------------------------------


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    control = sum(1 for byte in sample if byte < 9 or 13 < byte < 32)
    return control > len(sample) * 0.05


def _extract_text_file(path: Path) -> Extraction:
    data = path.read_bytes()
    warnings: list[str] = []
    text = decode_unicode(data)
    if text is None:
        if _looks_binary(data):
            raise LectureSkipped(
                "binary data in a text file",
                f"{path.name} is not plain text: save it as UTF-8 text or give it its real "
                "extension",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Most non-UTF-8 lecture notes come from Windows editors; cp1252 keeps their accents.
            text = data.decode("cp1252", errors="replace")
            warnings.append(f"{path.name} is not UTF-8; read it as Windows-1252 (save as UTF-8)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Extraction([Block(text=text)], warnings)


# --- PDF -----------------------------------------------------------------------------------------


def _extract_pdf(path: Path) -> Extraction:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise LectureSkipped(
                "encrypted PDF (needs a password)", "save an unprotected copy of the PDF"
            ) from exc
        raise LectureSkipped(
            "corrupt PDF", "the file is damaged or incomplete: export it again"
        ) from exc
    pages = []
    landscape = []
    try:
        for page in document:
            textpage = page.get_textpage()
            pages.append(pdf_layout.page_lines(textpage))
            width, height = page.get_size()
            landscape.append(width > height)
            textpage.close()
            page.close()
    finally:
        document.close()
    body = pdf_layout.body_size(pages)
    blocks = []
    for number, lines in enumerate(pages, start=1):
        text = pdf_layout.page_text(lines, body, slide=landscape[number - 1])
        if text.strip():
            blocks.append(Block(text=text, page=number))
    return Extraction(blocks)


# --- PPTX ----------------------------------------------------------------------------------------


# Slide number, footer and date placeholders (PP_PLACEHOLDER 13, 15, 16): furniture, not content.
_FURNITURE_PLACEHOLDERS = {13, 15, 16}
# Equations sit in mc:AlternateContent (an OMML choice, a picture fallback), which python-pptx
# does not list among a slide's shapes.
_ALTERNATE_TEXT = (
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Choice"
    "//{http://schemas.openxmlformats.org/drawingml/2006/main}p"
)
_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_TITLE_MAX_CHARS = 100
_NUMBERED = re.compile(r"\d{1,3}[.)]\s")


def _frame_text(shape: Any) -> str:
    """A text frame's paragraphs: list items in a body placeholder, else one paragraph each."""
    paragraphs = [
        (paragraph.level, " ".join(omml.paragraph_text(paragraph._p).split()))
        for paragraph in shape.text_frame.paragraphs
    ]
    paragraphs = [(level, text) for level, text in paragraphs if text]
    if getattr(shape, "is_placeholder", False) and len(paragraphs) > 1:
        return "\n".join(
            # an item the author numbered by hand ("1. Why models?") stays a numbered item
            f"{'  ' * level}{'' if _NUMBERED.match(text) else '- '}{text}"
            for level, text in paragraphs
        )
    return "\n\n".join(text for _, text in paragraphs)


def _shape_texts(shapes: Any) -> Iterator[str]:
    for shape in shapes:
        if (
            getattr(shape, "is_placeholder", False)
            and shape.placeholder_format.type in _FURNITURE_PLACEHOLDERS
        ):
            continue
        if getattr(shape, "shape_type", None) == 6:  # group: its children hold the text
            yield from _shape_texts(shape.shapes)
        elif getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip():
            yield _frame_text(shape)
        elif getattr(shape, "has_table", False):
            for row in shape.table.rows:
                yield " | ".join(cell.text.strip() for cell in row.cells)


def _equation_texts(slide: Any) -> Iterator[str]:
    for alternate in slide.shapes._spTree.iter(_ALTERNATE):
        for paragraph in alternate.iterfind(f".//{_ALTERNATE_TEXT}"):
            text = " ".join(omml.paragraph_text(paragraph).split())
            if text:
                yield text


def _title_shape(slide: Any) -> Any:
    """The title placeholder, else the topmost text box holding one short line."""
    if slide.shapes.title is not None:
        return slide.shapes.title
    boxes = [
        shape
        for shape in slide.shapes
        if getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip()
    ]
    if not boxes:
        return None
    top = min(boxes, key=lambda shape: shape.top or 0)
    lines = [p for p in top.text_frame.paragraphs if p.text.strip()]
    return top if len(lines) == 1 and len(lines[0].text.strip()) <= _TITLE_MAX_CHARS else None


def _extract_pptx(path: Path) -> Extraction:
    from pptx import Presentation

    try:
        presentation = Presentation(str(path))
    except Exception as exc:  # zipfile, lxml and python-pptx errors share no base class
        raise LectureSkipped("corrupt PPTX", "open and save the file again in PowerPoint") from exc
    blocks = []
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = _title_shape(slide)
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        title_id = title_shape.shape_id if title_shape is not None else None
        parts = [f"# {title}"] if title else []
        parts.extend(_shape_texts(s for s in slide.shapes if s.shape_id != title_id))
        parts.extend(_equation_texts(slide))
        if slide.has_notes_slide:
            # Notes are kept, marked, in one paragraph after the slide: they often hold the
            # explanation the bullets leave out, and the mark lets a generator weigh them apart.
            notes = " ".join(slide.notes_slide.notes_text_frame.text.split())
            if notes:
                parts.append(f"Speaker notes: {notes}")
        if parts:
            blocks.append(Block(text="\n\n".join(parts), slide=number))
    return Extraction(blocks)


# --- DOCX ----------------------------------------------------------------------------------------


def _extract_docx(path: Path) -> Extraction:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile/lxml/KeyError errors for damaged files
        raise LectureSkipped("corrupt DOCX", "open and save the file again in Word") from exc
    parts: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = (" | ".join(" ".join(c.text.split()) for c in row.cells) for row in item.rows)
            parts.append("\n".join(rows))
            continue
        text = " ".join(omml.paragraph_text(item._p).split())
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        level = _heading_level(style)
        list_level = _list_level(item, style)
        if level:
            parts.append(f"{'#' * level} {text}")
        elif list_level is not None:
            # the items of one list are consecutive lines (the cleaned-text contract)
            item_line = f"{'  ' * list_level}- {text}"
            if parts and parts[-1].lstrip().startswith("- "):
                parts[-1] += f"\n{item_line}"
            else:
                parts.append(item_line)
        else:
            parts.append(text)
    return Extraction([Block(text="\n\n".join(parts))])


def _list_level(paragraph: Any, style_name: str) -> int | None:
    """The nesting level of a list paragraph (Word numbering or a List style), else None."""
    properties = paragraph._p.pPr
    numbering = properties.numPr if properties is not None else None
    if numbering is not None and numbering.numId is not None and numbering.numId.val != 0:
        return int(numbering.ilvl.val) if numbering.ilvl is not None else 0
    return 0 if style_name.startswith("List") else None


def _heading_level(style_name: str) -> int:
    if style_name == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style_name)
    return int(match.group(1)) if match else 0


_EXTRACTORS: dict[LectureKind, Callable[[Path], Extraction]] = {
    "md": _extract_text_file,
    "txt": _extract_text_file,
    "pdf": _extract_pdf,
    "pptx": _extract_pptx,
    "docx": _extract_docx,
}
