"""A reader of GIFT that follows Moodle's importer (question/format/gift/format.php,
qformat_gift::readquestion) for the parts flashgen's export relies on, so tests read the file
the way Moodle would: escapes, names, the answer section, general feedback, how the question
type is decided from the answer text, answer weights, and short-answer wildcards
(qtype_shortanswer_question::compare_string_with_wildcard).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# qformat_gift::escapedchar_pre/post: escaped characters become placeholders while parsing.
_ESCAPES = {"\\:": "\x01", "\\#": "\x02", "\\=": "\x03", "\\{": "\x04", "\\}": "\x05",
            "\\~": "\x06", "\\n": "\x07"}  # fmt: skip
# giftanswerweightregex
_WEIGHT = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")


def moodle_pre(text: str) -> str:
    text = text.replace("\\\\", "\x00")
    for escaped, placeholder in _ESCAPES.items():
        text = text.replace(escaped, placeholder)
    return text.replace("\x00", "\\")


def moodle_post(text: str) -> str:
    for escaped, placeholder in _ESCAPES.items():
        text = text.replace(placeholder, "\n" if escaped == "\\n" else escaped[1])
    return text


@dataclass
class Answer:
    text: str
    weight: float  # a fraction, 1.0 = 100 %


@dataclass
class Question:
    name: str
    qtype: str
    text: str
    general_feedback: str
    answers: list[Answer] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)


def read_gift(content: str) -> tuple[list[str], list[Question]]:
    """(categories, questions) in file order; a question block is separated by blank lines."""
    categories: list[str] = []
    questions: list[Question] = []
    for block in re.split(r"\n\s*\n", content):
        lines = [line for line in block.split("\n") if not line.strip().startswith("//")]
        text = moodle_pre("\n".join(lines).strip())
        if not text:
            continue
        if text.startswith("$CATEGORY:"):
            categories.append(text[len("$CATEGORY:") :].strip())
            continue
        questions.append(_question(text))
    return categories, questions


def _question(text: str) -> Question:
    name = ""
    if text.startswith("::"):
        name, text = text[2:].split("::", 1)
        text = text.strip()
    start, finish = text.index("{"), text.index("}")
    answer_text = text[start + 1 : finish].strip()
    question_text = (
        text[:start] if text.endswith("}") else text[:start] + "_____" + text[finish + 1 :]
    )
    general = ""
    if "####" in answer_text:
        answer_text, general = answer_text.rsplit("####", 1)
        answer_text = answer_text.strip()
    # Answers, prompts and feedback take the question text's format (parse_text_with_format).
    is_html = question_text.startswith("[html]")

    def _text(part: str) -> str:
        part = moodle_post(part).strip().removeprefix("[html]")
        return html.unescape(part.replace("<br>", "\n")).strip() if is_html else part

    qtype = _qtype(answer_text)
    question = Question(moodle_post(name), qtype, _text(question_text), _text(general))
    if question.qtype == "multichoice":
        for answer in answer_text.replace("=", "~=").split("~"):
            answer = answer.strip()
            if not answer:
                continue
            answer = answer.split("#", 1)[0]  # commentparser: per-answer feedback follows "#"
            if answer.startswith("="):
                question.answers.append(Answer(_text(answer[1:]), 1.0))
            else:
                weight, answer = _weight(answer, default=0.0)
                question.answers.append(Answer(_text(answer), weight))
    elif question.qtype == "shortanswer":
        for answer in answer_text.split("=")[1:]:
            weight, answer = _weight(answer.strip(), default=1.0)
            question.answers.append(Answer(moodle_post(answer.split("#")[0].strip()), weight))
    elif question.qtype == "match":
        for answer in answer_text.split("=")[1:]:
            left, right = answer.strip().split("->", 1)
            question.pairs.append((_text(left), moodle_post(right.strip())))
    elif question.qtype == "truefalse":
        question.answers.append(Answer(answer_text.split("#")[0].strip(), 1.0))
    return question


def _qtype(answer_text: str) -> str:
    if answer_text.startswith("#"):
        return "numerical"
    if "~" in answer_text:
        return "multichoice"
    if "=" in answer_text and "->" in answer_text:
        return "match"
    if answer_text.split("#")[0].strip() in {"T", "TRUE", "F", "FALSE"}:
        return "truefalse"
    return "shortanswer"


def _weight(answer: str, default: float) -> tuple[float, str]:
    match = _WEIGHT.match(answer)
    if not match:
        return default, answer
    end = answer.index("%", 1)
    value = float(answer[1:end]) / 100
    return value, answer[end + 1 :]


def short_answer_accepts(pattern: str, response: str) -> bool:
    """compare_string_with_wildcard: unescaped ``*`` matches anything, ``\\*`` is a star."""
    pieces = re.split(r"(?<!\\)\*", pattern)
    regex = ".*".join(re.escape(piece.replace("\\*", "*")) for piece in pieces)
    return re.fullmatch(regex, response.strip(), flags=re.IGNORECASE) is not None
