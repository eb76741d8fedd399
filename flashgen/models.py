"""Every data shape flashgen passes between modules or writes to disk."""

from __future__ import annotations

from abc import abstractmethod
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

LectureKind = Literal["md", "txt", "pdf", "pptx", "docx"]
SUPPORTED_SUFFIXES: dict[str, LectureKind] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".pdf": "pdf",
    ".pptx": "pptx",
    ".docx": "docx",
}
QUIZ_LEVELS: tuple[int, ...] = (1, 2, 3, 4)
LEVEL_NAMES: dict[int, str] = {
    1: "Foundation",
    2: "Comprehension & Application",
    3: "Analysis & Critical Thinking",
    4: "Synthesis & Mastery",
}
# "empty": every task ran, but there is little to show (no cards, or no questions at a level).
Status = Literal["complete", "partial", "failed", "empty"]


class TaskKind(StrEnum):
    """The two kinds of task: a chunk's flashcards, and a group of cards' questions at one level.
    The values are what run reports and progress bars print."""

    FLASHCARDS = "flashcards"
    QUIZ = "quiz"

    @property
    def envelope(self) -> str:
        """The key of the model's reply holding this kind's items (and the reply schema's name)."""
        return "flashcards" if self is TaskKind.FLASHCARDS else "questions"


# Version of the output files. 2: answer facets a generator cannot honestly fill are absent;
# metadata says ``schema_version`` and may carry a ``note``. Version 1 files (no such key, every
# facet present) still read.
OUTPUT_SCHEMA_VERSION = 2


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- input side ----------------------------------------------------------------------------------


class Course(Frozen):
    id: str
    path: Path
    name: str
    code: str = ""
    textbook: str = ""
    language: str = "English"


class Lecture(Frozen):
    id: str
    path: Path
    kind: LectureKind


class Block(Frozen):
    """A run of text from one page, slide or section of a lecture file."""

    text: str
    page: int | None = None
    slide: int | None = None


class Chunk(Frozen):
    lecture_id: str
    index: int
    text: str
    pages: tuple[int, ...] = ()
    slides: tuple[int, ...] = ()
    # (offset in text, page or slide number) where each page or slide starts within the chunk
    starts: tuple[tuple[int, int], ...] = ()

    def location_at(self, offset: int) -> int | None:
        """The page or slide number the character at ``offset`` comes from, if known."""
        found = None
        for start, number in self.starts:
            if start > offset:
                break
            found = number
        return found


# --- generated material ------------------------------------------------------------------------


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


class Answers(Frozen):
    """The concise answer is required; a facet the generator cannot fill honestly is None and
    absent from the written JSON (never filler)."""

    concise: str = Field(min_length=1)
    analogy: str | None = Field(default=None, min_length=1)
    eli5: str | None = Field(default=None, min_length=1)
    real_world_use_case: str | None = Field(default=None, min_length=1)
    common_mistakes: str | None = Field(default=None, min_length=1)

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_none(handler(self))


class RelevanceScore(Frozen):
    score: int = Field(ge=1, le=10)
    justification: str = Field(min_length=1)


class CardSource(Frozen):
    lecture: str
    chunk: int
    pages: list[int] = Field(default_factory=list)
    slides: list[int] = Field(default_factory=list)


FlashcardType = Literal["definition", "concept", "cloze", "process", "comparison", "fact"]


class Flashcard(Frozen):
    id: str
    type: FlashcardType
    term: str = ""
    question: str = Field(min_length=3)
    answers: Answers
    context: str = ""
    example: str = ""
    relevance_score: RelevanceScore
    source: CardSource


OptionKey = Literal["A", "B", "C", "D"]
BLANK = "____"


class QuestionBase(Frozen):
    id: str
    question_text: str = Field(min_length=3)
    explanation: str = Field(min_length=1)
    difficulty_level: int = Field(ge=1, le=4)
    source_flashcard_ids: list[str] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)


class ChoiceQuestion(QuestionBase):
    """``mcq``: exactly one correct option; ``mca``: two or three correct, one or more wrong."""

    type: Literal["mcq", "mca"]
    options: dict[OptionKey, str]
    correct_answer: list[OptionKey]

    @field_validator("options")
    @classmethod
    def _options_complete(cls, options: dict[str, str]) -> dict[str, str]:
        if sorted(options) != ["A", "B", "C", "D"]:
            raise ValueError("options must have exactly the keys A, B, C and D")
        if any(not text.strip() for text in options.values()):
            raise ValueError("every option needs text")
        return options

    @field_validator("correct_answer")
    @classmethod
    def _answer_sorted_unique(cls, answer: list[str]) -> list[str]:
        if not answer or len(set(answer)) != len(answer):
            raise ValueError("correct_answer must list distinct option letters")
        return sorted(answer)

    @model_validator(mode="after")
    def _answer_count_fits_type(self) -> ChoiceQuestion:
        count = len(self.correct_answer)
        if self.type == "mcq" and count != 1:
            raise ValueError("an mcq has exactly one correct answer")
        if self.type == "mca" and not 2 <= count <= 3:
            raise ValueError("an mca has at least two correct answers and at least one wrong one")
        return self


class TrueFalseQuestion(QuestionBase):
    type: Literal["true_false"]
    correct_answer: bool


class FillInBlankQuestion(QuestionBase):
    """``question_text`` holds one ``____``; ``accepted_answers`` lists what fills it."""

    type: Literal["fill_in_blank"]
    accepted_answers: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_blank_and_answers(self) -> FillInBlankQuestion:
        if self.question_text.count(BLANK) != 1:
            raise ValueError(f"a fill-in-blank question has exactly one blank ({BLANK})")
        if any(not answer.strip() for answer in self.accepted_answers):
            raise ValueError("accepted answers must not be empty")
        return self


class MatchPair(Frozen):
    left: str = Field(min_length=1)
    right: str = Field(min_length=1)


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


class PairedQuestion(QuestionBase):
    """A question every exporter can show as prompts to match with answers: a type built on
    this base exports to CSV, GIFT and QTI without touching them."""

    # How the type becomes pairs, for formats without the type itself (an export warning says
    # so); None when the pairs are the question, as in matching.
    pairs_note: ClassVar[str | None] = None

    @abstractmethod
    def match_pairs(self) -> list[tuple[str, str]]:
        """(prompt, answer) pairs, in the order a student sees the prompts."""


class MatchingQuestion(PairedQuestion):
    type: Literal["matching"]
    pairs: list[MatchPair] = Field(min_length=2)

    @model_validator(mode="after")
    def _one_to_one(self) -> MatchingQuestion:
        lefts = {_folded(pair.left) for pair in self.pairs}
        rights = {_folded(pair.right) for pair in self.pairs}
        if len(lefts) != len(self.pairs) or len(rights) != len(self.pairs):
            raise ValueError("matching pairs must be one-to-one (no repeated left or right side)")
        return self

    def match_pairs(self) -> list[tuple[str, str]]:
        return [(pair.left, pair.right) for pair in self.pairs]


class CategorizationQuestion(PairedQuestion):
    """``categories`` maps each category name to the items that belong in it."""

    type: Literal["categorization"]
    pairs_note: ClassVar[str | None] = "item -> category"
    categories: dict[str, list[str]] = Field(min_length=2)

    @model_validator(mode="after")
    def _items_in_one_category(self) -> CategorizationQuestion:
        items = [_folded(item) for members in self.categories.values() for item in members]
        if any(not members for members in self.categories.values()):
            raise ValueError("every category needs at least one item")
        if len(set(items)) != len(items):
            raise ValueError("an item belongs to exactly one category")
        return self

    def match_pairs(self) -> list[tuple[str, str]]:
        pairs = [(item, name) for name, items in self.categories.items() for item in items]
        # Listed category by category, the prompts would give the grouping away.
        return sorted(pairs, key=lambda pair: pair[0].casefold())


QuizQuestion = Annotated[
    ChoiceQuestion
    | TrueFalseQuestion
    | FillInBlankQuestion
    | MatchingQuestion
    | CategorizationQuestion,
    Field(discriminator="type"),
]
# The question types in their canonical order (the mix breaks ties and hands out types in it),
# read from the union above: a new type is declared by its model and its place there.
QUESTION_MODELS: tuple[type[QuestionBase], ...] = get_args(get_args(QuizQuestion)[0])
QUESTION_TYPES: tuple[str, ...] = tuple(
    name for model in QUESTION_MODELS for name in get_args(model.model_fields["type"].annotation)
)


# --- accounting ----------------------------------------------------------------------------------


class Usage(Frozen):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    thinking_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            thinking_tokens=self.thinking_tokens + other.thinking_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
        )


# Usage is frozen, so one empty instance serves every default (no validation per event or task).
NO_USAGE = Usage()


# --- output files ------------------------------------------------------------------------------


class FailedTask(Frozen):
    task: str
    error: str
    expected_items: int = 0


class OutputMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: str
    course_name: str
    lecture: str
    generated_at: str
    generator: str
    model: str
    language: str = "English"
    prompt_version: str = ""
    status: Status = "complete"
    # Why the status is "empty" (e.g. "empty: 3 cards, too few for a level-1 quiz").
    note: str | None = None
    # Files written before version 2 have no such key and read the same way.
    schema_version: int = OUTPUT_SCHEMA_VERSION
    tasks_total: int = 0
    failed_tasks: list[FailedTask] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_none(handler(self))


class FlashcardMetadata(OutputMetadata):
    chunks_processed: int
    total_cards: int
    source_digest: str = ""


class QuizMetadata(OutputMetadata):
    difficulty_level: int
    level_name: str
    source_flashcards: int
    total_questions: int


class FlashcardFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metadata: FlashcardMetadata
    flashcards: list[Flashcard]


class QuizFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metadata: QuizMetadata
    questions: list[QuizQuestion]
