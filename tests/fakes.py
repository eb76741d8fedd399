"""Fakes built on the real interfaces: a provider that answers like a well-behaved model."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest, StopReason

_CARD_LINE = re.compile(r'^\{"id": "([^"]+)"', re.M)
# The lecture text of a flashcard request, inside its fence (see flashgen.generate.prompts.fence).
_MATERIAL = re.compile(r"<(material-[0-9a-f]+)>\n(.*)\n</\1>", re.S)


def card_json(term: str) -> dict[str, object]:
    return {
        "type": "definition",
        "term": term,
        "question": f"What is {term}?",
        "answers": {
            "concise": f"{term} is a thing defined in the lecture.",
            "analogy": f"{term} is like a toolbox.",
            "eli5": f"{term} helps you do a job.",
            "real_world_use_case": f"Engineers use {term} daily.",
            "common_mistakes": f"People confuse {term} with its opposite.",
        },
        "context": "Section",
        "example": f"An example of {term}.",
        "relevance_score": {"score": 7, "justification": "Central to the lecture."},
    }


_TOPICS = [
    "osmosis",
    "diffusion",
    "ribosomes",
    "glycolysis",
    "photosynthesis",
    "mitosis",
    "meiosis",
    "enzymes",
    "membranes",
    "chromosomes",
    "proteins",
    "lipids",
    "vesicles",
    "nucleotides",
    "replication",
    "transcription",
    "translation",
    "respiration",
    "fermentation",
    "chlorophyll",
]


def question_json(card_id: str, n: int) -> dict[str, object]:
    """A valid question whose wording differs from question ``n ± 1`` by more than a number."""
    topic = _TOPICS[n % len(_TOPICS)]
    a, b, c, d = (_TOPICS[(n + k * 7) % len(_TOPICS)] for k in range(1, 5))
    return {
        "type": "mcq",
        "question_text": f"In {card_id}, what role does {topic} play (case {n})?",
        "options": {
            "A": f"right answer {n}",
            "B": f"it blocks {a} and {b}",
            "C": f"it replaces {c}",
            "D": f"it mimics {d} entirely",
        },
        "correct_answer": ["A"],
        "explanation": f"Option A is correct: right answer {n}.",
        "source_flashcard_ids": [card_id],
        "tags": ["test"],
    }


def model_reply(request: CompletionRequest) -> str:
    return prompt_reply(request.messages[0].content)


def prompt_reply(prompt: str) -> str:
    """What a good model would answer: cards for a chunk, questions citing the given cards."""
    quiz = re.search(r"Write exactly (\d+) questions", prompt)
    if quiz is None:
        content = _MATERIAL.search(prompt)
        asked = re.search(r"between (\d+) and (\d+) flashcards", prompt)
        count = (int(asked.group(1)) + int(asked.group(2))) // 2 if asked else 3
        text = content.group(2) if content else prompt
        words = sorted(set(re.findall(r"[A-Za-z]{6,}", text)))[:count] or ["concept"]
        return json.dumps({"flashcards": [card_json(w) for w in words]})
    ids = _CARD_LINE.findall(prompt)
    wanted = int(quiz.group(1))
    return json.dumps({"questions": [question_json(ids[n % len(ids)], n) for n in range(wanted)]})


@dataclass
class FakeProvider:
    """Answers with ``reply(request)``; records concurrency and every request it saw."""

    name: str = "fake"
    model: str = "fake-1"
    delay: float = 0.0
    reply: Callable[[CompletionRequest], str] = model_reply
    script: list[str | Exception] = field(default_factory=list)
    stop_reason: StopReason = "end"
    requests: list[CompletionRequest] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.script:
                step = self.script.pop(0)
                if isinstance(step, Exception):
                    raise step
                text = step
            else:
                text = self.reply(request)
            return Completion(
                text=text,
                usage=Usage(input_tokens=100, output_tokens=50, cost_usd=0.001),
                model=self.model,
                stop_reason=self.stop_reason,
            )
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None
