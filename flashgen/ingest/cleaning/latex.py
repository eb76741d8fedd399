"""LaTeX in lecture text: math kept as math in the delimiters Anki renders, stray commands removed.

Math is written ``\\( … \\)`` inline and ``\\[ … \\]`` for display, whatever the source used
(``$…$``, ``$$…$$``, ``\\begin{equation}…``). Outside math, layout commands (``\\smallskip``)
are dropped, formatting commands keep their argument (``\\emph{x}`` → ``x``) and any other
command is a symbol written in prose (``\\alpha``), so it becomes inline math.
"""

from __future__ import annotations

import re

# Display environments are math whatever their name; their body keeps its own alignment marks.
_ENVIRONMENT = re.compile(
    r"\\begin\{(equation|align|gather|multline|eqnarray|displaymath|math)(\*?)\}(.*?)"
    r"\\end\{\1\2\}",
    re.DOTALL,
)
_DOUBLE_DOLLAR = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
# Pandoc's rule: the opening $ has a non-space right after it, the closing $ a non-space right
# before it and no digit after it, so "$5 and $10" stays prose.
_SINGLE_DOLLAR = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]+?)(?<=\S)\$(?!\d)")
_BACKSLASH_PAREN = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
_BACKSLASH_BRACKET = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)
# Markdown escapes its own backslashes: kramdown and Jekyll notes write \\( … \\) for MathJax.
_ESCAPED_PAREN = re.compile(r"\\\\\((.+?)\\\\\)", re.DOTALL)
_ESCAPED_BRACKET = re.compile(r"\\\\\[(.+?)\\\\\]", re.DOTALL)

# Normalised spans, as the chunker and the tests look for them.
MATH_SPAN = re.compile(r"\\\((?:.+?)\\\)|\\\[(?:.+?)\\\]", re.DOTALL)

_LAYOUT = re.compile(
    r"\\(?:smallskip|medskip|bigskip|newpage|clearpage|pagebreak|pause|vfill|hfill|noindent|"
    r"centering|raggedright|tableofcontents|maketitle|linebreak|newline|par|item|footnotesize|"
    r"small|large|Large|LARGE|huge|Huge|normalsize|tiny|scriptsize)(?![a-zA-Z])(?:\[[^\]]*\])?"
    r"|\\(?:vspace|hspace|label|ref|eqref|cite|index|includegraphics|url|href|footnote)\*?"
    r"(?:\[[^\]]*\])?\{[^{}]*\}"
)
_FORMATTING = re.compile(
    r"\\(?:textbf|textit|emph|texttt|textsf|textrm|underline|text|mbox|textsc)\{([^{}]*)\}"
)
_COMMAND = re.compile(r"\\[a-zA-Z]+(?:\{[^{}]*\})*")


def display(body: str) -> str:
    return f"\\[ {_one_line(body)} \\]"


def inline(body: str) -> str:
    return f"\\( {_one_line(body)} \\)"


def _one_line(body: str) -> str:
    # a math span is one token of a reflowed paragraph: its line breaks are only source layout
    return " ".join(body.split())


def math_spans(text: str, *, markdown: bool) -> list[tuple[int, int, str]]:
    """Every math span of ``text`` as (start, end, normalised form), in order, not overlapping.

    In Markdown, ``\\[`` is an escaped bracket (CommonMark), so only ``$``, ``$$``, environments
    and the doubly escaped ``\\\\(``/``\\\\[`` count as math there.
    """
    patterns: list[tuple[re.Pattern[str], bool]] = [
        (_ENVIRONMENT, True),
        (_DOUBLE_DOLLAR, True),
        (_ESCAPED_BRACKET, True),
        (_ESCAPED_PAREN, False),
    ]
    if not markdown:
        patterns += [(_BACKSLASH_BRACKET, True), (_BACKSLASH_PAREN, False)]
    patterns.append((_SINGLE_DOLLAR, False))
    spans: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, is_display in patterns:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            body = match.group(match.lastindex or 0)
            if pattern is _ENVIRONMENT:
                body = match.group(3)
                if match.group(1) in {"align", "gather", "multline", "eqnarray"}:
                    body = f"\\begin{{aligned}}{body}\\end{{aligned}}"
            if not body.strip():
                continue
            spans.append((start, end, display(body) if is_display else inline(body)))
            taken.append((start, end))
    return sorted(spans)


def strip_commands(text: str) -> str:
    """Commands in prose (outside math): layout dropped, formatting unwrapped, symbols as math."""
    text = _LAYOUT.sub("", text)
    previous = None
    while previous != text:  # nested formatting: \textbf{\emph{x}}
        previous = text
        text = _FORMATTING.sub(r"\1", text)
    return _COMMAND.sub(lambda match: inline(match.group(0)), text)
