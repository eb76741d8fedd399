"""Chunking: size limit, coverage, overlap, section breaks, splitting and page tracking.

Most guarantees are checked as properties over ~200 seeded random lectures. Every generated word
is unique (letters + a serial number), so the words a chunk holds tell exactly which part of the
lecture it covers, which pages they came from and what it shares with its neighbour.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import pytest

from flashgen.ingest.chunking import SEPARATOR, chunk_blocks
from flashgen.models import Block, Chunk

SEEDS = range(200)
WORD = re.compile(r"[a-z]+\d+")
SENTENCE_ENDS = (".", ".", ".", "!", "?")


# --- a generator of lectures with a known answer ----------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str
    words: tuple[str, ...]
    page: int | None
    slide: int | None
    starts_section: bool


@dataclass
class Lecture:
    blocks: list[Block]
    paragraphs: list[Paragraph]
    size: int
    overlap: int
    words: list[str] = field(init=False)
    position: dict[str, int] = field(init=False)
    origin: dict[str, Paragraph] = field(init=False)

    def __post_init__(self) -> None:
        self.words = [word for paragraph in self.paragraphs for word in paragraph.words]
        self.position = {word: index for index, word in enumerate(self.words)}
        self.origin = {word: p for p in self.paragraphs for word in p.words}


class WordSource:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def __call__(self) -> str:
        self.serial += 1
        letters = "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz", k=self.rng.randint(1, 7)))
        return f"{letters}{self.serial}"


def _sentence(rng: random.Random, word: WordSource, low: int, high: int) -> list[str]:
    return [word() for _ in range(rng.randint(low, high))]


def make_lecture(seed: int, sentence_gaps: Sequence[str] = (" ",)) -> Lecture:
    """A random lecture: pages, slides or one plain block; headings, short and over-long
    paragraphs, sentences with and without end marks; a random valid size and overlap."""
    rng = random.Random(seed)
    word = WordSource(rng)
    size = rng.choice([50, 60, 80, 120, 200, 300, 500, 800])
    overlap = rng.choice([0, rng.randint(0, size // 2 - 1), size // 2 - 1])
    mode = rng.choice(["page", "slide", "plain"])
    block_count = 1 if mode == "plain" else rng.randint(1, 5)
    blocks: list[Block] = []
    paragraphs: list[Paragraph] = []
    for number in range(1, block_count + 1):
        page = number if mode == "page" else None
        slide = number if mode == "slide" else None
        texts: list[str] = []
        for position in range(rng.randint(1, 8)):
            kind = rng.random()
            if kind < 0.18:
                words = _sentence(rng, word, 1, 5)
                text = "# " + " ".join(words)
                is_heading = True
            else:
                sentences = []
                words = []
                low, high = (20, 60) if kind > 0.9 else (1, 14)
                for _ in range(rng.randint(1, 6)):
                    sentence = _sentence(rng, word, low, high)
                    words.extend(sentence)
                    end = rng.choice(SENTENCE_ENDS) if rng.random() < 0.8 else ""
                    sentences.append(" ".join(sentence) + end)
                text = sentences[0]
                for sentence_text in sentences[1:]:
                    text += rng.choice(sentence_gaps) + sentence_text
                is_heading = False
            starts = is_heading or (position == 0 and mode != "plain")
            paragraphs.append(Paragraph(text, tuple(words), page, slide, starts))
            texts.append(text)
        joints = [rng.choice(["\n\n", "\n\n\n", "\n \n"]) for _ in texts[1:]]
        body = texts[0] + "".join(j + t for j, t in zip(joints, texts[1:], strict=True))
        blocks.append(Block(text=body, page=page, slide=slide))
    return Lecture(blocks, paragraphs, size, overlap)


def chunk(lecture: Lecture) -> list[Chunk]:
    return chunk_blocks("lec", lecture.blocks, size=lecture.size, overlap=lecture.overlap)


def word_span(lecture: Lecture, chunk: Chunk) -> tuple[int, int]:
    """First and last position (in the lecture) of the words of a chunk; they must be a run."""
    positions = [lecture.position[word] for word in WORD.findall(chunk.text)]
    assert positions, f"chunk {chunk.index} holds no words: {chunk.text!r}"
    assert positions == list(range(positions[0], positions[-1] + 1)), (
        f"chunk {chunk.index} is not one run of the lecture's text: {chunk.text!r}"
    )
    return positions[0], positions[-1]


def shared_prefix(lecture: Lecture, previous: Chunk, current: Chunk) -> str:
    """The text at the start of ``current`` that repeats the end of ``previous`` ('' if none)."""
    _, previous_end = word_span(lecture, previous)
    current_start, _ = word_span(lecture, current)
    if current_start > previous_end:
        return ""
    last_shared = lecture.words[previous_end]
    cut = current.text.find(SEPARATOR, current.text.index(last_shared))
    return current.text if cut < 0 else current.text[:cut]


def squash(text: str) -> str:
    return " ".join(text.split())


# --- argument checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "overlap"), [(49, 0), (0, 0), (-100, 0), (100, -1), (100, 50), (100, 80), (60, 60)]
)
def test_invalid_size_or_overlap_raises_value_error(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match=r"chunk size|overlap"):
        chunk_blocks("lec", [Block(text="Some text.")], size=size, overlap=overlap)


@pytest.mark.parametrize(("size", "overlap"), [(50, 0), (50, 24), (100, 49), (6000, 300)])
def test_smallest_valid_size_and_largest_overlap_are_accepted(size: int, overlap: int) -> None:
    [only] = chunk_blocks("lec", [Block(text="Some text.")], size=size, overlap=overlap)
    assert only.text == "Some text."


def test_no_blocks_or_blank_blocks_give_no_chunks() -> None:
    assert chunk_blocks("lec", []) == []
    assert chunk_blocks("lec", [Block(text="  \n\n \n"), Block(text="", page=2)]) == []


def test_short_lecture_is_one_chunk_with_paragraphs_joined_and_metadata() -> None:
    blocks = [
        Block(text="# Intro\n\nFirst paragraph.\n\n\n  Second paragraph.  ", page=1),
        Block(text="Third paragraph.", page=2),
    ]
    [only] = chunk_blocks("lec_7", blocks)
    assert only.lecture_id == "lec_7"
    assert only.index == 0
    assert only.text == "# Intro\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph."
    assert only.pages == (1, 2)
    assert only.slides == ()


# --- properties over generated lectures -------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_properties_hold_for_generated_lectures(seed: int) -> None:
    lecture = make_lecture(seed)
    chunks = chunk(lecture)
    size, overlap = lecture.size, lecture.overlap
    context = f"seed={seed} size={size} overlap={overlap}"

    # indexes and size
    assert [c.index for c in chunks] == list(range(len(chunks))), context
    assert all(c.lecture_id == "lec" for c in chunks)
    for c in chunks:
        assert len(c.text) <= size, f"{context}: chunk {c.index} has {len(c.text)} characters"

    # coverage: the chunks walk the lecture's words in order, without gaps, always advancing
    spans = [word_span(lecture, c) for c in chunks]
    assert spans[0][0] == 0, context
    assert spans[-1][1] == len(lecture.words) - 1, context
    for (start, end), (next_start, next_end) in pairwise(spans):
        assert next_start <= end + 1, f"{context}: words lost between chunks"
        assert next_start > start and next_end > end, f"{context}: chunks do not advance"

    # every paragraph that fits a chunk is kept verbatim, and paragraphs stay in order
    first_home = []
    for paragraph in lecture.paragraphs:
        if len(paragraph.text) <= size:
            homes = [c.index for c in chunks if paragraph.text in c.text]
            assert homes, f"{context}: paragraph not kept whole: {paragraph.text!r}"
            first_home.append(homes[0])
    assert first_home == sorted(first_home), context

    # pages and slides of a chunk are those of the paragraphs its words came from
    for c in chunks:
        origins = [lecture.origin[word] for word in WORD.findall(c.text)]
        assert c.pages == tuple(sorted({p.page for p in origins if p.page is not None})), context
        assert c.slides == tuple(sorted({p.slide for p in origins if p.slide is not None})), context

    # overlap: a suffix of the previous chunk, at most `overlap` characters, never across a
    # section start
    for previous, current in pairwise(chunks):
        shared = shared_prefix(lecture, previous, current)
        if not shared:
            continue
        assert overlap > 0, f"{context}: overlap=0 but chunks share {shared!r}"
        assert len(shared) <= overlap, f"{context}: overlap {shared!r} is too long"
        assert previous.text.endswith(shared), f"{context}: {shared!r} is not a suffix"
        first_new = lecture.words[word_span(lecture, previous)[1] + 1]
        paragraph = lecture.origin[first_new]
        assert not (paragraph.starts_section and paragraph.words[0] == first_new), (
            f"{context}: chunk {current.index} starts a section but repeats {shared!r}"
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_chunks_break_at_a_section_start_only_when_at_least_half_full(seed: int) -> None:
    lecture = make_lecture(seed)
    size = lecture.size
    chunks = chunk(lecture)
    spans = [word_span(lecture, c) for c in chunks]
    for paragraph in lecture.paragraphs:
        if not paragraph.starts_section or len(paragraph.text) > size:
            continue
        first = lecture.position[paragraph.words[0]]
        k = next(i for i, (start, end) in enumerate(spans) if start <= first <= end)
        home = chunks[k]
        offset = home.text.index(paragraph.text)
        if offset == 0:
            if k == 0:
                continue
            before = len(chunks[k - 1].text)
            # a new chunk at a section start: the previous one was half full, or full
            assert before >= size * 0.5 or before + len(SEPARATOR) + len(paragraph.text) > size, (
                f"seed={seed}: broke early at {paragraph.text!r} after only {before} chars"
            )
        else:
            filled = offset - len(SEPARATOR)
            assert filled < size * 0.5, (
                f"seed={seed}: section {paragraph.text!r} joined a chunk already "
                f"{filled}/{size} full"
            )


@pytest.mark.parametrize("seed", SEEDS[:50])
def test_chunking_is_deterministic(seed: int) -> None:
    lecture = make_lecture(seed)
    first = chunk(lecture)
    again = chunk_blocks("lec", list(lecture.blocks), size=lecture.size, overlap=lecture.overlap)
    assert again == first
    assert [c.model_dump() for c in again] == [c.model_dump() for c in first]


@pytest.mark.parametrize("seed", SEEDS[:100])
def test_newlines_and_double_spaces_between_sentences_keep_every_guarantee_but_verbatim_overlap(
    seed: int,
) -> None:
    lecture = make_lecture(seed, sentence_gaps=(" ", "\n", "  "))
    chunks = chunk(lecture)
    spans = [word_span(lecture, c) for c in chunks]
    assert all(len(c.text) <= lecture.size for c in chunks)
    assert spans[0][0] == 0 and spans[-1][1] == len(lecture.words) - 1
    assert all(b[0] <= a[1] + 1 for a, b in pairwise(spans))
    for previous, current in pairwise(chunks):
        shared = shared_prefix(lecture, previous, current)
        assert len(shared) <= lecture.overlap
        assert squash(previous.text).endswith(squash(shared))


# --- the same guarantees, one at a time, on hand-made text -----------------------------------


def test_heading_starts_a_new_chunk_once_the_current_one_is_half_full() -> None:
    body = "word " * 11 + "end."  # 59 characters
    blocks = [Block(text=f"{body}\n\n# Next topic\n\nMore text.")]
    chunks = chunk_blocks("lec", blocks, size=100, overlap=20)
    assert [c.text for c in chunks] == [body, "# Next topic\n\nMore text."]


def test_heading_joins_the_current_chunk_while_it_is_less_than_half_full() -> None:
    body = "word " * 7 + "end."  # 39 characters
    blocks = [Block(text=f"{body}\n\n# Next topic\n\nMore text.")]
    [only] = chunk_blocks("lec", blocks, size=100, overlap=20)
    assert only.text == f"{body}\n\n# Next topic\n\nMore text."


def test_new_page_is_a_section_start() -> None:
    first = "Alpha beta gamma delta epsilon zeta eta theta iota kappa."  # 57 characters
    blocks = [Block(text=first, page=1), Block(text="Second page text.", page=2)]
    chunks = chunk_blocks("lec", blocks, size=100, overlap=40)
    assert [(c.text, c.pages) for c in chunks] == [(first, (1,)), ("Second page text.", (2,))]


def test_paragraph_break_carries_an_overlap_of_whole_sentences() -> None:
    first = "One two three. Four five six. Seven eight nine ten."
    second = "Eleven twelve thirteen fourteen fifteen sixteen seventeen."
    chunks = chunk_blocks("lec", [Block(text=f"{first}\n\n{second}")], size=100, overlap=30)
    # the longest run of whole sentences of at most 30 characters is carried over
    assert [c.text for c in chunks] == [first, f"Seven eight nine ten.\n\n{second}"]


def test_overlap_zero_repeats_nothing() -> None:
    text = "\n\n".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_blocks("lec", [Block(text=text)], size=120, overlap=0)
    assert len(chunks) > 1
    assert SEPARATOR.join(c.text for c in chunks) == text


def test_no_overlap_is_carried_into_a_new_section() -> None:
    text = "Intro sentence one. Intro sentence two. Intro three.\n\n# Topic\n\nTopic text."
    chunks = chunk_blocks("lec", [Block(text=text)], size=60, overlap=29)
    assert [c.text for c in chunks] == [
        "Intro sentence one. Intro sentence two. Intro three.",
        "# Topic\n\nTopic text.",
    ]


def test_overlap_is_a_verbatim_suffix_when_whole_paragraphs_are_carried() -> None:
    paragraphs = ["Short one.", "Short two.", "A much longer third paragraph here."]
    text = "\n\n".join([*paragraphs, "Fourth paragraph that overflows the chunk."])
    chunks = chunk_blocks("lec", [Block(text=text)], size=90, overlap=40)
    assert chunks[0].text == "\n\n".join(paragraphs)
    assert chunks[1].text == (
        "A much longer third paragraph here.\n\nFourth paragraph that overflows the chunk."
    )


def test_overlap_keeps_the_original_whitespace_between_sentences() -> None:
    bullets = "Hash tables map keys.\nCollisions happen.\nChaining fixes them."
    text = f"{bullets}\n\nOpen addressing probes other buckets until one is free."
    chunks = chunk_blocks("lec", [Block(text=text, slide=1)], size=100, overlap=45)
    assert chunks[0].text == bullets
    shared = chunks[1].text.split(SEPARATOR)[0]
    assert shared == "Collisions happen.\nChaining fixes them."
    assert chunks[0].text.endswith(shared)


def test_long_paragraph_without_sentence_ends_is_split_at_spaces() -> None:
    words = [f"w{i:03d}" for i in range(300)]  # 300 words of 4 letters, no punctuation
    text = " ".join(words)
    chunks = chunk_blocks("lec", [Block(text=text)], size=100, overlap=30)
    assert len(chunks) >= 15
    seen: list[str] = []
    for c in chunks:
        assert len(c.text) <= 100
        assert c.text == c.text.strip()
        pieces = c.text.split(" ")
        assert all(piece in words for piece in pieces), f"a word was cut: {c.text!r}"
        seen.extend(pieces)
    assert seen == words  # every word once, in order: nothing to overlap at a sentence


def test_long_paragraph_is_split_at_sentence_ends_first() -> None:
    sentences = [f"Sentence {i} has a few words in it." for i in range(20)]  # 34-35 chars
    chunks = chunk_blocks("lec", [Block(text=" ".join(sentences))], size=100, overlap=0)
    assert [c.text for c in chunks][:2] == [
        " ".join(sentences[0:2]),
        " ".join(sentences[2:4]),
    ]
    assert all(c.text.endswith("in it.") for c in chunks)
    assert " ".join(c.text for c in chunks) == " ".join(sentences)


def test_word_longer_than_size_is_hard_split() -> None:
    word = "x" * 130 + "y" * 20  # 150 characters, no space anywhere
    chunks = chunk_blocks("lec", [Block(text=f"Before it. {word} After it.")], size=60, overlap=0)
    assert all(len(c.text) <= 60 for c in chunks)
    joined = "".join(c.text for c in chunks).replace(" ", "")
    assert joined == f"Beforeit.{word}Afterit."
    assert "x" * 60 in [c.text for c in chunks]  # a full-size hard cut


def test_pages_and_slides_of_a_chunk_come_from_its_text() -> None:
    blocks = [
        Block(text="Page one is short.", page=1),
        Block(text="Page two is short too.", page=2),
        Block(text=" ".join(["Page three runs long."] * 8), page=3),
    ]
    chunks = chunk_blocks("lec", blocks, size=100, overlap=0)
    assert chunks[0].text == "Page one is short.\n\nPage two is short too."
    assert chunks[0].pages == (1, 2)
    assert all(c.pages == (3,) for c in chunks[1:])
    assert len(chunks) >= 3

    slides = [Block(text=f"# Slide {n}\n\nBody of slide {n}.", slide=n) for n in (1, 2, 3)]
    [only] = chunk_blocks("lec", slides, size=200, overlap=0)
    assert (only.slides, only.pages) == ((1, 2, 3), ())


def test_overlap_counts_the_pages_it_was_copied_from() -> None:
    opening, ending = "Page one opens with a sentence.", "Page one ends."
    start = "Page two starts."
    rest = "Page two goes on with a paragraph that no longer fits the chunk."
    blocks = [
        Block(text=f"{opening}\n\n{ending}", page=1),
        Block(text=f"{start}\n\n{rest}", page=2),
    ]
    first, second = chunk_blocks("lec", blocks, size=100, overlap=40)
    assert (first.text, first.pages) == (f"{opening}\n\n{ending}\n\n{start}", (1, 2))
    # the carried "Page one ends." still comes from page 1
    assert (second.text, second.pages) == (f"{ending}\n\n{start}\n\n{rest}", (1, 2))
