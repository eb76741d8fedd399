"""The synthetic course the end-to-end and cost benchmarks run on: lectures of definition-like
sentences over seeded vocabularies, one chunk per section. Kept apart from the end-to-end
benchmark's server so that a benchmark (or its test) that only needs the course does not need
aiohttp."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.sim import words

SECTION_CHARS = 5000  # one chunk per section at the default chunk size (6000)


@dataclass(frozen=True)
class Case:
    name: str
    lectures: int
    chunks: int
    median: float  # seconds
    sigma: float
    limited: bool = False  # the server allows half what the concurrency cap could send
    # Refusals drawn at random, whatever the client's rate (issue 18): a bare 429 asking for
    # 0.2 s (no rate-limit code or headers), or a 503 "server_overloaded".
    random_429: float = 0.0
    random_503: float = 0.0

    @property
    def faults(self) -> str:
        parts = [
            f"{share:.0%} {kind}"
            for kind, share in (("429", self.random_429), ("503", self.random_503))
            if share
        ]
        return ", ".join(parts) or "none"


def write_course(root: Path, case: Case) -> Path:
    course = root / "courses" / "bench"
    course.mkdir(parents=True)
    (course / "course.toml").write_text('name = "Benchmark course"\n', encoding="utf-8")
    for n in range(case.lectures):
        parts = [f"# Lecture {n}\n"]
        for k in range(case.chunks):
            vocabulary = words(f"{n}/{k}", 60)
            sentences: list[str] = []
            while sum(len(s) for s in sentences) < SECTION_CHARS:
                i = len(sentences)
                sentences.append(
                    f"The {vocabulary[i % 60]} is a {vocabulary[(3 * i + 1) % 60]} that "
                    f"{vocabulary[(7 * i + 2) % 60]}s every {vocabulary[(5 * i + 3) % 60]}."
                )
            parts.append(f"## Part {k}\n\n" + " ".join(sentences) + "\n")
        (course / f"lecture-{n:02d}.md").write_text("\n".join(parts), encoding="utf-8")
    return root / "courses"
