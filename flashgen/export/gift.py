"""Moodle GIFT: one ``$CATEGORY`` per lecture and level, one question per quiz question.

Text is sent as ``[html]`` so that a ``<`` or ``&`` in generated text shows as written; answers
Moodle compares with what a student types (short answers, matching choices) stay plain text.
Escaping follows Moodle's own exporter (qformat_gift::repchar): backslash, ``~ = # { } :``, and
newlines as ``\\n`` because a blank line ends a question. Two more things Moodle's importer
(qformat_gift::readquestion) reads into plain text, which GIFT has no escape for:

- ``->`` anywhere in an answer block that has an ``=`` makes the question a matching question.
  HTML text carries it as ``-&gt;``; a short answer, compared with what the student types,
  gets ``-*>``: ``*`` is the short-answer wildcard, so ``->`` still matches (a literal ``*``
  is written ``\\*``, the short-answer escape).
- A leading ``%n%`` is an answer weight. HTML text carries the ``%`` as ``&#37;``; a short
  answer gets an explicit ``%100%`` in front, after which the rest is taken as written.
"""

from __future__ import annotations

import re
from pathlib import Path

from flashgen.export.base import ExportResult
from flashgen.export.reader import CourseOutput
from flashgen.export.render import clean, paired_warnings, to_html
from flashgen.models import (
    BLANK,
    ChoiceQuestion,
    FillInBlankQuestion,
    PairedQuestion,
    QuizQuestion,
    TrueFalseQuestion,
)

_RESERVED = {"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}", ":": "\\:"}
# Moodle's giftanswerweightregex: what it takes for a weight at the start of an answer.
_WEIGHT = re.compile(r"%-*[0-9]{1,2}\.?[0-9]*%")
_ESCAPES = str.maketrans({**_RESERVED, "\n": "\\n"})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def write_gift(course: CourseOutput, path: Path, result: ExportResult) -> None:
    blocks = [f"// {' '.join(clean(course.name).split())}: quizzes exported by flashgen"]
    exported: list[QuizQuestion] = []
    for lecture in course.lectures:
        quizzes = [(level, quiz) for level, quiz in lecture.quizzes.items() if quiz.questions]
        for level, quiz in quizzes:
            blocks.append(f"$CATEGORY: {category_path(course.id, lecture.id, f'Level {level}')}")
            blocks.extend(question_block(question) for question in quiz.questions)
            exported.extend(quiz.questions)
            result.questions += len(quiz.questions)
        if quizzes:
            result.lectures += 1
    result.warnings.extend(paired_warnings(exported, "GIFT has"))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


def category_path(*names: str) -> str:
    # Moodle splits categories on "/" and reads "//" as a literal slash; the line is not unescaped.
    return "/".join(" ".join(clean(n).split()).replace("/", "//") for n in names)


def question_block(question: QuizQuestion) -> str:
    name = f"::{escape(clean(question.id))}::"
    feedback = f"####{_html(question.explanation)}"
    if isinstance(question, FillInBlankQuestion):
        return name + _missing_word(question, feedback)
    body = "\n".join(f"\t{line}" for line in [*_answer_lines(question), feedback])
    return f"{name}[html]{_html(question.question_text)}{{\n{body}\n}}"


def _answer_lines(
    question: ChoiceQuestion | TrueFalseQuestion | PairedQuestion,
) -> list[str]:
    if isinstance(question, ChoiceQuestion):
        return _choices(question)
    if isinstance(question, TrueFalseQuestion):
        return ["TRUE" if question.correct_answer else "FALSE"]
    # The prompt is HTML-escaped, so the first literal "->" is always the separator.
    return [f"={_html(left)} -> {_plain(right)}" for left, right in question.match_pairs()]


def _choices(question: ChoiceQuestion) -> list[str]:
    correct = set(question.correct_answer)
    if question.type == "mcq":
        marks = {key: "=" if key in correct else "~" for key in question.options}
    else:
        # Right answers share 100%, wrong ones share -100%: ticking every box scores zero.
        right = _percent(100 / len(correct))
        wrong = _percent(-100 / (len(question.options) - len(correct)))
        marks = {key: f"~%{right if key in correct else wrong}%" for key in question.options}
    return [f"{marks[key]}{_html_answer(text)}" for key, text in sorted(question.options.items())]


def _percent(value: float) -> str:
    # Moodle only accepts its listed grade fractions; 5 decimals match them (33.33333, -50).
    return f"{value:.5f}".rstrip("0").rstrip(".")


# A private-use character survives HTML and GIFT escaping untouched, so it can mark the blank
# while the text around it is converted as one piece (math may span it).
_BLANK_MARK = "\ue000"


def _missing_word(question: FillInBlankQuestion, feedback: str) -> str:
    """The answer braces stand where the blank is; Moodle draws the blank there."""
    answers = " ".join(f"={_short_answer(a)}" for a in question.accepted_answers)
    braces = f"{{{answers} {feedback}}}"
    text = question.question_text.replace(_BLANK_MARK, "")
    if BLANK not in text:
        return f"[html]{_html(text)}{braces}"
    return "[html]" + _html(text.replace(BLANK, _BLANK_MARK, 1)).replace(_BLANK_MARK, braces)


def _html(text: str) -> str:
    return escape(to_html(text))


def _html_answer(text: str) -> str:
    """An option: HTML, with a leading ``%`` as an entity so Moodle reads no weight into it."""
    markup = to_html(text)
    return escape("&#37;" + markup[1:] if markup.startswith("%") else markup)


def _short_answer(text: str) -> str:
    """An accepted short answer: plain text Moodle compares with the student's, see above."""
    answer = _plain(text).replace("*", "\\*").replace("->", "-*>")
    return f"%100%{answer}" if _WEIGHT.match(answer) else answer


def _plain(text: str) -> str:
    return escape(" ".join(clean(text).split()))
