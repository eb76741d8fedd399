"""Load what ``flashgen run`` wrote for one course, tolerating partial runs and damaged files.

An export must not fail because one lecture is half generated or one file was hand-edited badly:
missing files are simply absent, an invalid item is dropped on its own, and only a file whose
envelope (metadata, JSON syntax) is broken is dropped whole. Every drop is reported.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from flashgen.errors import UsageError
from flashgen.export.base import SkippedItem
from flashgen.models import QUIZ_LEVELS, FlashcardFile, QuizFile
from flashgen.output.review import load_review
from flashgen.output.store import OutputStore


@dataclass(frozen=True)
class LectureOutput:
    id: str
    flashcards: FlashcardFile | None
    quizzes: dict[int, QuizFile]


@dataclass
class CourseOutput:
    id: str
    name: str
    lectures: list[LectureOutput] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def card_count(self) -> int:
        return sum(len(lec.flashcards.flashcards) for lec in self.lectures if lec.flashcards)

    @property
    def question_count(self) -> int:
        return sum(len(q.questions) for lec in self.lectures for q in lec.quizzes.values())


def read_course(
    output_dir: Path,
    course_id: str,
    *,
    lectures: Collection[str] | None = None,
    approved_only: bool = False,
) -> CourseOutput:
    """The course's saved items; rejected ones never, only approved ones with
    ``approved_only``; lecture folders not in ``lectures`` (orphaned: the lecture file was
    deleted or renamed) are left out and named in a warning."""
    course_dir = _course_dir(output_dir, course_id)
    course = CourseOutput(id=course_id, name=course_id)
    names: list[str] = []
    store = OutputStore(output_dir, course_id)
    for lecture_id in store.lecture_ids():
        if lectures is not None and lecture_id not in lectures:
            course.warnings.append(
                f"{lecture_id}: left out, its lecture is no longer in the course "
                "(`flashgen prune` removes its output)"
            )
            continue
        lecture = _read_lecture(store, lecture_id, course)
        _apply_review(lecture, store.lecture_dir(lecture_id), approved_only, course)
        if lecture.flashcards is not None or lecture.quizzes:
            course.lectures.append(lecture)
            names.extend(_course_names(lecture))
    if not course.lectures and not course.skipped:
        raise UsageError(
            f"no generated lectures in {course_dir}",
            hint=f"run `flashgen run {course_id}` first",
        )
    course.name = names[0] if names else course_id
    return course


def _course_dir(output_dir: Path, course_id: str) -> Path:
    if not course_id or course_id in {".", ".."} or Path(course_id).name != course_id:
        raise UsageError(f"invalid course id {course_id!r}", hint="pass the course folder name")
    course_dir = output_dir / course_id
    if not course_dir.is_dir():
        raise UsageError(
            f"no output for course {course_id!r} in {output_dir}",
            hint=f"run `flashgen run {course_id}` first",
        )
    return course_dir


def _read_lecture(store: OutputStore, lecture_id: str, course: CourseOutput) -> LectureOutput:
    flashcards = _load(store.flashcards_path(lecture_id), FlashcardFile, "flashcards", course)
    quizzes: dict[int, QuizFile] = {}
    for level in QUIZ_LEVELS:
        quiz = _load(store.quiz_path(lecture_id, level), QuizFile, "questions", course)
        if quiz is not None:
            quizzes[level] = quiz
    return LectureOutput(id=lecture_id, flashcards=flashcards, quizzes=quizzes)


def _apply_review(
    lecture: LectureOutput, folder: Path, approved_only: bool, course: CourseOutput
) -> None:
    """Leave out rejected items (a person put one back by hand before a run saw it), and
    with ``approved_only`` every item not approved."""
    review = load_review(folder)
    if review is None and not approved_only:
        return
    wanted: tuple[str, ...] = ("approved",) if approved_only else ("new", "approved", "edited")

    def keep(item_id: str) -> bool:
        return (review.state(item_id) if review else "new") in wanted

    left_out = 0
    if lecture.flashcards is not None:
        cards = lecture.flashcards.flashcards
        lecture.flashcards.flashcards = [card for card in cards if keep(card.id)]
        left_out += len(cards) - len(lecture.flashcards.flashcards)
    for quiz in lecture.quizzes.values():
        questions = quiz.questions
        quiz.questions = [q for q in questions if keep(q.id)]
        left_out += len(questions) - len(quiz.questions)
    if left_out and approved_only:
        course.warnings.append(f"{lecture.id}: {left_out} item(s) not approved, left out")


def _course_names(lecture: LectureOutput) -> list[str]:
    files: list[FlashcardFile | QuizFile] = [*lecture.quizzes.values()]
    if lecture.flashcards is not None:
        files.insert(0, lecture.flashcards)
    return [f.metadata.course_name for f in files if f.metadata.course_name.strip()]


Envelope = TypeVar("Envelope", FlashcardFile, QuizFile)


def _load(
    path: Path, model: type[Envelope], items_key: str, course: CourseOutput
) -> Envelope | None:
    if not path.is_file():
        return None
    label = f"{path.parent.name}/{path.name}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        course.skipped.append(SkippedItem(label, f"unreadable: {exc}"))
        return None
    loaded: Envelope | None
    try:
        loaded = model.model_validate(data)
    except ValidationError as exc:
        loaded = _salvage(data, model, items_key, exc, label, course)
    if loaded is not None and loaded.metadata.status != "complete":
        course.warnings.append(f"{label} is marked {loaded.metadata.status}")
    return loaded


def _salvage(
    data: object,
    model: type[Envelope],
    items_key: str,
    error: ValidationError,
    label: str,
    course: CourseOutput,
) -> Envelope | None:
    """Drop only the items the error points at; give up if it points anywhere else."""
    bad: dict[int, str] = {}
    for detail in error.errors():
        loc = detail["loc"]
        if len(loc) < 2 or loc[0] != items_key or not isinstance(loc[1], int):
            course.skipped.append(SkippedItem(label, _describe(error)))
            return None
        bad.setdefault(loc[1], _describe_one(loc[2:], detail["msg"]))
    if not isinstance(data, dict):  # unreachable: item errors need an object envelope
        return None
    items = data[items_key]
    for index, reason in sorted(bad.items()):
        item = items[index]
        item_id = item.get("id") if isinstance(item, dict) else None
        name = f"{label} {items_key}[{index}]" + (f" {item_id}" if item_id else "")
        course.skipped.append(SkippedItem(name, reason))
    kept = [item for index, item in enumerate(items) if index not in bad]
    return model.model_validate({**data, items_key: kept})


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    more = error.error_count() - 1
    return _describe_one(first["loc"], first["msg"]) + (f" (and {more} more)" if more else "")


def _describe_one(loc: tuple[int | str, ...], msg: str) -> str:
    where = ".".join(str(part) for part in loc)
    return f"{where}: {msg}" if where else msg
