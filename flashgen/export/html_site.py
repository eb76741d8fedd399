"""A static study site: an index of lectures, flip cards and self-checking quizzes, in one folder.

It works from ``file://`` and from any static host (GitHub Pages): every page is plain HTML, the
math renderer (KaTeX, MIT licence, bundled from its npm package with its woff2 fonts) is copied
beside the pages, and nothing is fetched from a network. Pages are rendered with Jinja2
(autoescaping on); the one script (``site.js``) flips cards and checks answers in the browser.
The folder is built beside its destination and swapped in whole, so a reader (a CI publish step)
never sees half a site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from flashgen.export.base import ExportResult
from flashgen.export.reader import CourseOutput, LectureOutput
from flashgen.export.render import card_back_parts, to_html
from flashgen.models import (
    BLANK,
    CategorizationQuestion,
    ChoiceQuestion,
    FillInBlankQuestion,
    MatchingQuestion,
    QuizQuestion,
    TrueFalseQuestion,
)
from flashgen.output.review import load_review

_FILES = Path(__file__).with_name("html_site_files")
LEVEL_NAMES = {1: "Recall", 2: "Understanding", 3: "Application", 4: "Analysis"}


def course_has_approvals(output_dir: Path, course_id: str) -> bool:
    """True once any item of the course is approved: the site then shows approved items only."""
    course_dir = output_dir / course_id
    if not course_dir.is_dir():
        return False
    for folder in course_dir.iterdir():
        review = load_review(folder) if folder.is_dir() else None
        if review is not None and any(e.state == "approved" for e in review.items.values()):
            return True
    return False


@dataclass(frozen=True)
class LecturePage:
    id: str
    file: str
    lecture: LectureOutput

    @property
    def card_count(self) -> int:
        return len(self.lecture.flashcards.flashcards) if self.lecture.flashcards else 0

    @property
    def question_count(self) -> int:
        return sum(len(quiz.questions) for quiz in self.lecture.quizzes.values())


def write_site(course: CourseOutput, folder: Path, result: ExportResult) -> None:
    """Build the site into a fresh folder beside ``folder`` and swap it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        _build(course, building, result)
        building.chmod(0o755)  # mkdtemp makes 0700; a site is meant to be served and shared
        _swap(building, folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _swap(new: Path, folder: Path) -> None:
    if not folder.exists():
        os.replace(new, folder)
        return
    old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
    os.replace(folder, old / "site")
    os.replace(new, folder)
    shutil.rmtree(old, ignore_errors=True)


def _build(course: CourseOutput, root: Path, result: ExportResult) -> None:
    env = _environment()
    pages = [
        LecturePage(id=lec.id, file=f"lecture-{index:03d}.html", lecture=lec)
        for index, lec in enumerate(_with_items(course.lectures), start=1)
    ]
    shutil.copytree(_FILES / "static", root / "assets")
    index = env.get_template("index.html.j2")
    (root / "index.html").write_text(index.render(course=course, pages=pages), encoding="utf-8")
    lecture_template = env.get_template("lecture.html.j2")
    for page in pages:
        html = lecture_template.render(course=course, page=page, pages=pages, levels=LEVEL_NAMES)
        (root / page.file).write_text(html, encoding="utf-8")
        result.cards += page.card_count
        result.questions += page.question_count
        result.lectures += 1


def _with_items(lectures: list[LectureOutput]) -> list[LectureOutput]:
    """Lectures with something to study (with approved-only, many have nothing yet)."""
    return [
        lec
        for lec in lectures
        if (lec.flashcards and lec.flashcards.flashcards)
        or any(quiz.questions for quiz in lec.quizzes.values())
    ]


def template_environment(folder: Path) -> Environment:
    """Jinja2 templates from ``folder``, autoescaped (the study site's and the review page's)."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _environment() -> Environment:
    env = template_environment(_FILES / "templates")
    env.filters["text"] = text_html
    env.globals.update(
        card_back_parts=card_back_parts,
        question_kind=question_kind,
        blank_parts=blank_parts,
        pair_choices=pair_choices,
    )
    return env


def text_html(text: str) -> Markup:
    """Generated text as safe HTML with ``\\( \\)`` / ``\\[ \\]`` math left for KaTeX."""
    return Markup(to_html(text))  # to_html escapes markup itself


def question_kind(question: QuizQuestion) -> str:
    if isinstance(question, ChoiceQuestion):
        return "choice"
    if isinstance(question, TrueFalseQuestion):
        return "true_false"
    if isinstance(question, FillInBlankQuestion):
        return "fill_in_blank"
    return "pairs"


def blank_parts(question: FillInBlankQuestion) -> tuple[str, str]:
    before, _, after = question.question_text.partition(BLANK)
    return before, after


def pair_choices(
    question: MatchingQuestion | CategorizationQuestion,
) -> tuple[list[tuple[str, str]], list[str]]:
    """(prompt, answer) pairs and the answers to choose from, sorted so none is given away."""
    pairs = question.match_pairs()
    if isinstance(question, CategorizationQuestion):
        return pairs, list(question.categories)
    return pairs, sorted({answer for _, answer in pairs}, key=str.casefold)
