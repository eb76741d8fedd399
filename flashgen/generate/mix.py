"""Which question types a level gets, and how many of each.

Per level, single-answer (mcq) and multi-answer (mca) questions share the level in the seed
system's proportions (level 1: 5% mca … level 4: 70%). Other types are opt-in; when enabled
they share ``EXTRA_TYPES_SHARE`` of every level evenly and mcq/mca keep their ratio in the rest.
Counts are allocated by largest remainder and items are assigned by hash rank, so the mix is
exact for any count and stable from run to run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flashgen.ids import digest
from flashgen.models import QUESTION_TYPES

DEFAULT_TYPES = ("mcq", "mca")
DEFAULT_MCA_PERCENT = {1: 5, 2: 30, 3: 50, 4: 70}
EXTRA_TYPES_SHARE = 0.2


def parse_types(value: str | Sequence[str]) -> tuple[str, ...]:
    names = value.split(",") if isinstance(value, str) else list(value)
    types = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    unknown = [name for name in types if name not in QUESTION_TYPES]
    if unknown or not types:
        raise ValueError(
            f"unknown question type(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(QUESTION_TYPES)}"
        )
    return types


def level_shares(
    level: int,
    types: Sequence[str] = DEFAULT_TYPES,
    mca_percent: Mapping[int, int] = DEFAULT_MCA_PERCENT,
) -> dict[str, float]:
    """Each enabled type's share of the level's questions; the shares sum to 1."""
    choice = [t for t in ("mcq", "mca") if t in types]
    extra = [t for t in types if t not in ("mcq", "mca")]
    extra_share = EXTRA_TYPES_SHARE if choice and extra else (1.0 if extra else 0.0)
    shares = {t: extra_share / len(extra) for t in extra}
    rest = 1.0 - extra_share
    mca = mca_percent[level] / 100
    if choice == ["mcq", "mca"]:
        shares |= {"mcq": rest * (1 - mca), "mca": rest * mca}
    elif choice:
        shares[choice[0]] = rest
    return shares


def allocate(shares: Mapping[str, float], count: int) -> dict[str, int]:
    """Whole counts per type that sum to ``count`` (largest remainder, ties by type order)."""
    exact = {t: share * count for t, share in shares.items()}
    counts = {t: math.floor(value) for t, value in exact.items()}
    order = sorted(shares, key=lambda t: (counts[t] - exact[t], QUESTION_TYPES.index(t)))
    for t in order[: count - sum(counts.values())]:
        counts[t] += 1
    return counts


def assign(ids: Sequence[str], shares: Mapping[str, float], level: int) -> dict[str, str]:
    """A type for each id: the allocated counts, handed out in hash order rather than id order."""
    counts = allocate(shares, len(ids))
    ranked = sorted(ids, key=lambda i: digest(i, "type", str(level)))
    kinds = [t for t in QUESTION_TYPES for _ in range(counts.get(t, 0))]
    return dict(zip(ranked, kinds, strict=True))


@dataclass(frozen=True)
class QuestionMix:
    """The question types a run asks for and the mca share per level, as one setting."""

    types: tuple[str, ...] = DEFAULT_TYPES
    mca_percent: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_MCA_PERCENT))

    def shares(self, level: int) -> dict[str, float]:
        return level_shares(level, self.types, self.mca_percent)

    @property
    def identity(self) -> dict[str, Any]:
        return {"question_types": list(self.types), "mca_percent": dict(self.mca_percent)}
