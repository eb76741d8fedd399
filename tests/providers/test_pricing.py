"""The price table: shipped data, lookups by model id, costs, the user's override file."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashgen.errors import ConfigError
from flashgen.models import Usage
from flashgen.providers.pricing import PriceTable

MILLION_EACH = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load()


@pytest.mark.parametrize(
    ("model", "dollars"),
    [
        ("claude-sonnet-4-5", 3 + 15),
        ("claude-haiku-4-5", 1 + 5),
        ("claude-opus-4-1", 15 + 75),
        ("gemini-2.5-flash", 0.30 + 2.50),
        ("gemini-2.5-pro", 1.25 + 10),
        ("gpt-4o-mini", 0.15 + 0.60),
        ("gpt-4.1-mini", 0.40 + 1.60),
    ],
)
def test_shipped_prices(table: PriceTable, model: str, dollars: float) -> None:
    assert table.cost(model, MILLION_EACH) == pytest.approx(dollars)


def test_every_default_model_has_a_price(table: PriceTable) -> None:
    from flashgen.providers.factory import DEFAULT_MODELS

    assert all(table.is_known(model) for model in DEFAULT_MODELS.values())


@pytest.mark.parametrize(
    ("model", "listed"),
    [
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
        ("GPT-4.1-MINI", "gpt-4.1-mini"),
    ],
)
def test_lookup_by_dated_or_prefixed_id(table: PriceTable, model: str, listed: str) -> None:
    assert table.lookup(model) == table.lookup(listed)
    assert table.lookup(model) is not None


def test_unknown_model_costs_nothing_and_says_so(table: PriceTable) -> None:
    assert table.cost("llama3.2:8b", MILLION_EACH) == 0.0
    assert not table.is_known("llama3.2:8b")
    # A prefix must end at a dash: "gpt-4o" does not price "gpt-4oz".
    assert not table.is_known("gpt-4oz")


def test_cached_tokens_cost_the_cache_price(table: PriceTable) -> None:
    usage = Usage(input_tokens=1_000_000, cached_tokens=400_000)
    # 600k × $3 + 400k × $0.30 per million
    assert table.cost("claude-sonnet-4-5", usage) == pytest.approx(1.8 + 0.12)


def test_batch_discount(table: PriceTable) -> None:
    full = table.cost("gpt-4.1-mini", MILLION_EACH)
    assert table.cost("gpt-4.1-mini", MILLION_EACH, batch=True) == pytest.approx(full / 2)


def test_user_file_replaces_and_adds(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        '[models."gpt-4o-mini"]\ninput = 1.0\noutput = 2.0\ncached_input = 0.5\n\n'
        '[models."llama3.2"]\ninput = 0\noutput = 0\ncached_input = 0\n',
        encoding="utf-8",
    )

    table = PriceTable.load(path)

    assert table.cost("gpt-4o-mini", MILLION_EACH) == pytest.approx(3.0)
    assert table.cost("gpt-4o-mini", MILLION_EACH, batch=True) == pytest.approx(3.0)
    assert table.is_known("llama3.2")
    assert table.is_known("claude-haiku-4-5")


@pytest.mark.parametrize(
    "content",
    [
        '[models."x"]\ninput = 1\n',
        '[models."x"]\ninput = -1\noutput = 1\ncached_input = 1\n',
        "not toml at all [",
        '[models."x"]\ninput = 1\noutput = 1\ncached_input = 1\nbatch_discount = 2\n',
    ],
)
def test_invalid_user_file_is_a_config_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        PriceTable.load(path)

    assert str(path) in caught.value.message
    assert "input, output, cached_input" in caught.value.hint


def test_missing_user_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        PriceTable.load(tmp_path / "nope.toml")

    assert "nope.toml" in caught.value.message
