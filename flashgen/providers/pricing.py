"""Token prices as data: the shipped table in ``flashgen/data/prices.toml``, plus the user's file.

Prices change more often than code, so they live in TOML that a user can override with
``settings.prices_file`` without waiting for a release. A model the table does not know costs 0
and ``is_known`` says so, so that a report can flag the total as incomplete instead of wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flashgen.errors import ConfigError
from flashgen.models import Usage

PER_MILLION = 1_000_000
_SHIPPED = "data/prices.toml"


class ModelPrice(BaseModel):
    """US dollars per million tokens for one model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float = Field(ge=0)
    batch_discount: float = Field(0.0, ge=0, le=1)


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelPrice] = Field(default_factory=dict)


class PriceTable:
    """Looks up a model's price and turns token counts into dollars."""

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self._prices = {name.lower(): price for name, price in prices.items()}

    @classmethod
    def load(cls, path: Path | None = None) -> PriceTable:
        """The shipped table, with the entries of ``path`` (if given) replacing or adding models."""
        shipped = resources.files("flashgen").joinpath(_SHIPPED).read_text(encoding="utf-8")
        prices = dict(_parse(shipped, origin="the shipped price table").models)
        if path is not None:
            prices.update(_parse(_read_user_file(path), origin=str(path)).models)
        return cls(prices)

    def models(self) -> list[str]:
        return sorted(self._prices)

    def lookup(self, model: str) -> ModelPrice | None:
        """Exact id first, then the longest listed prefix that ends at a ``-`` (dated ids)."""
        name = _normalise(model)
        if name in self._prices:
            return self._prices[name]
        prefixes = [known for known in self._prices if name.startswith(known + "-")]
        return self._prices[max(prefixes, key=len)] if prefixes else None

    def is_known(self, model: str) -> bool:
        return self.lookup(model) is not None

    def cost(self, model: str, usage: Usage, batch: bool = False) -> float:
        """Dollars for ``usage``; ``usage.input_tokens`` includes the cached ones."""
        price = self.lookup(model)
        if price is None:
            return 0.0
        cached = min(usage.cached_tokens, usage.input_tokens)
        dollars = (
            (usage.input_tokens - cached) * price.input
            + cached * price.cached_input
            + usage.output_tokens * price.output
        ) / PER_MILLION
        if batch:
            dollars *= 1 - price.batch_discount
        return round(dollars, 8)


def _normalise(model: str) -> str:
    # Gemini reports model versions as "models/gemini-2.5-flash".
    name = model.strip().lower()
    return name.removeprefix("models/")


def _read_user_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(
            f"cannot read the prices file {path}: {err.strerror}",
            hint="fix FLASHGEN_PRICES_FILE, or unset it to use the shipped prices",
        ) from None


def _parse(text: str, origin: str) -> _PriceFile:
    try:
        return _PriceFile.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as err:
        raise ConfigError(
            f"{origin} is not a valid price table: {err}",
            hint='each model needs [models."NAME"] with input, output, cached_input '
            "(US dollars per million tokens) and optionally batch_discount (0 to 1)",
        ) from None
