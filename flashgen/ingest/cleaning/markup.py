"""Markup out of Markdown and plain-text lectures: front matter, fences, HTML, Liquid, links.

What is content stays (link text, code, math, headings); what only drives a site generator or a
browser goes (front matter keys, tags, anchors, images, attribute lists, figure captions).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from flashgen.ingest.cleaning import latex

_FRONT_MATTER = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.DOTALL)
_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\s*\.?([\w+#.-]*)[^`]*$")
_LIQUID_HIGHLIGHT = re.compile(r"^\s*\{%-?\s*highlight\s+([\w+-]+)[^%]*%\}\s*$")
_FENCE_CLASS = re.compile(r"^\s*\{:\s*\.(?:language-)?([\w+#-]+)\s*\}\s*$")
_NOT_LANGUAGES = {"output", "error", "warning", "source", "callout", "challenge", "solution"}
_LIQUID_END_HIGHLIGHT = re.compile(r"^\s*\{%-?\s*endhighlight\s*-?%\}\s*$")

_REMOVED_WITH_CONTENT = [
    re.compile(r"<!--.*?-->", re.DOTALL),
    re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL),
    re.compile(r"<(script|style|figcaption|svg)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE),
    # captions under figures repeat the figure's alt text and are no content of their own
    re.compile(
        r"<(div|p|span)\b[^>]*class=[\"'][^\"']*caption[^\"']*[\"'][^>]*>.*?</\1\s*>",
        re.DOTALL | re.IGNORECASE,
    ),
]
_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.DOTALL | re.IGNORECASE)
_HTML_BREAK = re.compile(r"<(?:br|p|/p|li|/li|div|/div|tr|/tr)\b[^>]*>", re.IGNORECASE)
_HTML_TAGS = (
    "a|abbr|article|aside|audio|b|blockquote|body|button|canvas|caption|center|cite|code|col|"
    "colgroup|dd|del|details|dfn|div|dl|dt|em|embed|figure|font|footer|form|h[1-6]|head|header|"
    "hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|object|ol|p|param|"
    "picture|pre|q|s|samp|section|small|source|span|strike|strong|sub|summary|sup|table|tbody|"
    "td|tfoot|th|thead|tr|tt|u|ul|var|video|wbr"
)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_TAGS})\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*/?>", re.IGNORECASE)
# declarations and broken comments such as "<!explain commands as we go along>"
_HTML_DECLARATION = re.compile(r"<![^>]*>")
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}

_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^()]*(?:\([^()]*\)[^()]*)*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]+)\]\([^()]*(?:\([^()]*\)[^()]*)*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S.*$", re.MULTILINE)
_FOOTNOTE_REFERENCE = re.compile(r"\[\^[^\]]+\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_SPAN_WITH_ATTRIBUTES = re.compile(r"\[([^\]]+)\]\{[^}]*\}")
_ATTRIBUTE = r"(?:[.#][\w-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
_ATTRIBUTE_LIST = re.compile(rf"\{{:[^}}]*\}}|\{{\s*{_ATTRIBUTE}(?:\s+{_ATTRIBUTE})*\s*\}}")
_FENCED_DIV = re.compile(r"^\s*:{3,}.*$", re.MULTILINE)
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")

# Private-use characters mark protected spans while markup is removed around them.
_HOLD = "\ue000{}\ue001"
_HELD = re.compile("\ue000(\\d+)\ue001")


@dataclass(frozen=True)
class Segment:
    text: str
    is_code: bool


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(title from the YAML or TOML front matter, text without it)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, text
    body = text[match.end() :]
    try:
        data = (
            yaml.safe_load(match.group(2))
            if match.group(1) == "---"
            else tomllib.loads(match.group(2))
        )
    except (yaml.YAMLError, tomllib.TOMLDecodeError):
        data = None
    if not isinstance(data, dict):
        # "---" opening a document that has no front matter is a horizontal rule: keep the text
        return (None, body) if data is None and match.group(2).strip() == "" else (None, text)
    title = data.get("title")
    return (str(title).strip() or None) if title is not None else None, body


def split_fences(text: str) -> Iterator[Segment]:
    """Prose and fenced code in order; code normalised to a ``` fence with its language."""
    prose: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE_OPEN.match(line)
        highlight = _LIQUID_HIGHLIGHT.match(line)
        if opening is None and highlight is None:
            prose.append(line)
            index += 1
            continue
        if prose:
            yield Segment("\n".join(prose), is_code=False)
            prose = []
        if opening is not None:
            indent, marker, language = opening.group(1), opening.group(2), opening.group(3)
            closing = re.compile(rf"^\s*{re.escape(marker[0])}{{{len(marker)},}}\s*$")
        else:
            assert highlight is not None
            indent, language, closing = "", highlight.group(1), _LIQUID_END_HIGHLIGHT
        body: list[str] = []
        index += 1
        while index < len(lines) and not closing.match(lines[index]):
            code_line = lines[index]
            body.append(code_line[len(indent) :] if code_line.startswith(indent) else code_line)
            index += 1
        index += 1  # the closing fence (an unclosed fence runs to the end, as in CommonMark)
        # Carpentries lessons name the language after the fence: "{: .language-python}"
        attribute = _FENCE_CLASS.match(lines[index]) if index < len(lines) else None
        if attribute and not language and attribute.group(1) not in _NOT_LANGUAGES:
            language = attribute.group(1)
        while body and not body[-1].strip():
            body.pop()
        if any(code_line.strip() for code_line in body):
            yield Segment("\n".join([f"```{language}", *body, "```"]), is_code=True)
    if prose:
        yield Segment("\n".join(prose), is_code=False)


class _Held:
    """Spans taken out of the text while markup is removed around them, put back afterwards."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def hold(self, replacement: str) -> str:
        self.spans.append(replacement)
        return _HOLD.format(len(self.spans) - 1)

    def restore(self, text: str) -> str:
        return _HELD.sub(lambda match: self.spans[int(match.group(1))], text)


def clean_prose(text: str, *, markdown: bool, source: bool = True) -> str:
    """Prose with markup removed; code spans and math (normalised) kept as they are.

    ``source`` is False for text as its reader saw it (PDF, PPTX, DOCX): a tag written there is
    content ("the <p> element"), so only math and LaTeX commands are handled.
    """
    held = _Held()
    if source:
        text = _remove_html_and_liquid(text)
    if markdown:
        text = _CODE_SPAN.sub(lambda match: held.hold(match.group(0)), text)
    pieces: list[str] = []
    position = 0
    for start, end, normalised in latex.math_spans(text, markdown=markdown):
        pieces += [text[position:start], held.hold(normalised)]
        position = end
    text = "".join([*pieces, text[position:]])
    if source:
        text = _remove_tags(text)
    if markdown:
        text = _IMAGE.sub("", text)
        text = _REFERENCE_DEFINITION.sub("", text)
        text = _FOOTNOTE_REFERENCE.sub("", text)
        for _ in range(3):  # nested spans: [[Hinweis]{.ex}]{.slides}
            text = _SPAN_WITH_ATTRIBUTES.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
        text = _REFERENCE_LINK.sub(r"\1", text)
        text = _AUTOLINK.sub(r"\1", text)
        text = _ATTRIBUTE_LIST.sub("", text)
        text = _FENCED_DIV.sub("", text)
        # escaped characters are held so that "\[" is not read as a command or markup later
        text = _MARKDOWN_ESCAPE.sub(lambda match: held.hold(match.group(1)), text)
    text = latex.strip_commands(text)
    return held.restore(text)


def _remove_html_and_liquid(text: str) -> str:
    """Comments, scripts and captions, with their content (before math is looked for)."""
    for pattern in _REMOVED_WITH_CONTENT:
        text = pattern.sub("", text)
    return text


def _remove_tags(text: str) -> str:
    """Liquid and HTML tags out (their content stays); HTML headings as Markdown headings."""
    text = _LIQUID.sub("", text)
    text = _HTML_HEADING.sub(
        lambda match: f"\n\n{'#' * int(match.group(1))} {match.group(2).strip()}\n\n", text
    )
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    text = _HTML_DECLARATION.sub("", text)
    for entity, character in _ENTITIES.items():
        text = text.replace(entity, character)
    return text
