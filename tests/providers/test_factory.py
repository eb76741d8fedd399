"""Choosing, building and describing providers; SDK base-URL variables; lazy SDK imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import flashgen
from flashgen.config import Settings
from flashgen.errors import ConfigError, MissingApiKey
from flashgen.providers.base import Provider
from flashgen.providers.factory import (
    DEFAULT_MODELS,
    NO_KEY_REASON,
    LLMProviderName,
    build_provider,
    choose_provider,
    describe_providers,
)
from flashgen.providers.pricing import PriceTable

from .fake_api import FAKE_KEY, WIRES, FakeApi, Wire, simple_request

KEYS: dict[str, str] = {
    "anthropic": "anthropic_api_key",
    "gemini": "gemini_api_key",
    "openai": "openai_api_key",
}


def settings(**values: Any) -> Settings:
    """Settings from these values and the (isolated) environment, never from a .env file."""
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize(
    ("keys", "chosen", "reason"),
    [
        ({"anthropic_api_key": "a", "gemini_api_key": "g"}, "anthropic", "ANTHROPIC_API_KEY"),
        ({"gemini_api_key": "g", "openai_api_key": "o"}, "gemini", "GEMINI_API_KEY"),
        ({"openai_api_key": "o"}, "openai", "OPENAI_API_KEY"),
        ({"base_url": "http://localhost:11434/v1"}, "openai", "OpenAI-compatible"),
        ({}, "offline", NO_KEY_REASON),
        ({"anthropic_api_key": "  "}, "offline", NO_KEY_REASON),
    ],
)
def test_auto_choice(keys: dict[str, str], chosen: str, reason: str) -> None:
    name, why = choose_provider(settings(**keys))
    assert name == chosen
    assert reason in why


def test_auto_reads_the_sdk_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "g")
    assert choose_provider(settings()) == ("gemini", "GOOGLE_API_KEY is set")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1")
    monkeypatch.delenv("GOOGLE_API_KEY")
    assert choose_provider(settings())[0] == "openai"


def test_offline_reason_tells_how_to_use_a_model() -> None:
    assert choose_provider(settings())[1] == (
        "no API key found: set ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENAI_API_KEY to use a model"
    )


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("gemini", "GEMINI_API_KEY"),
        ("openai", "OPENAI_API_KEY"),
    ],
)
def test_explicit_provider_without_key_says_which_variable(provider: str, variable: str) -> None:
    with pytest.raises(MissingApiKey) as caught:
        choose_provider(settings(provider=provider))
    assert variable in str(caught.value)
    assert caught.value.exit_code == 2


def test_explicit_provider_with_key_or_local_server() -> None:
    assert choose_provider(settings(provider="gemini", gemini_api_key="g"))[0] == "gemini"
    local = settings(provider="openai", base_url="http://localhost:11434/v1")
    assert choose_provider(local)[0] == "openai"
    assert choose_provider(settings(provider="offline"))[0] == "offline"


def test_describe_providers_never_shows_a_key() -> None:
    statuses = describe_providers(
        settings(anthropic_api_key=FAKE_KEY, model="ignored", base_url="http://proxy.test")
    )

    assert [s.name for s in statuses] == ["anthropic", "gemini", "openai"]
    anthropic, gemini, openai = statuses
    assert (anthropic.key_found, anthropic.selected) == (True, True)
    assert anthropic.base_url == "http://proxy.test"
    assert (gemini.key_found, gemini.selected) == (False, False)
    assert gemini.key_variable == "GEMINI_API_KEY"
    assert gemini.base_url == "https://generativelanguage.googleapis.com"
    assert openai.default_model == DEFAULT_MODELS["openai"]
    assert FAKE_KEY not in repr(statuses)


def test_describe_names_the_variable_that_holds_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "g")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1")
    gemini, openai = describe_providers(settings())[1:]
    assert (gemini.key_found, gemini.key_variable) == (True, "GOOGLE_API_KEY")
    assert openai.base_url == "http://localhost:8000/v1"


def test_describe_survives_a_missing_key() -> None:
    statuses = describe_providers(settings(provider="anthropic"))
    assert statuses[0].selected and not statuses[0].key_found


async def test_build_uses_default_or_chosen_model(prices: PriceTable) -> None:
    cases: list[tuple[LLMProviderName, str | None]] = [
        ("anthropic", None),
        ("gemini", "gemini-2.5-pro"),
        ("openai", None),
    ]
    for name, model in cases:
        provider = build_provider(name, settings(model=model, **{KEYS[name]: FAKE_KEY}), prices)
        try:
            assert isinstance(provider, Provider)
            assert (provider.name, provider.model) == (name, model or DEFAULT_MODELS[name])
            assert FAKE_KEY not in repr(provider)
        finally:
            await provider.aclose()


def test_build_refuses_offline_and_missing_keys(prices: PriceTable) -> None:
    with pytest.raises(ConfigError):
        build_provider("offline", settings(), prices)
    with pytest.raises(MissingApiKey):
        build_provider("anthropic", settings(), prices)
    with pytest.raises(MissingApiKey):
        build_provider("openai", settings(), prices)


@pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])
async def test_settings_base_url_is_used(wire: Wire, api: FakeApi, prices: PriceTable) -> None:
    suffix = "/v1" if wire.name == "openai" else ""
    chosen = settings(provider=wire.name, base_url=api.url + suffix, **{KEYS[wire.name]: FAKE_KEY})
    await _complete_once(build_provider(wire.name, chosen, prices), wire, api)


@pytest.mark.parametrize(
    ("wire", "variable"),
    [
        (WIRES[0], "ANTHROPIC_BASE_URL"),
        (WIRES[1], "OPENAI_BASE_URL"),
        (WIRES[2], "GOOGLE_GEMINI_BASE_URL"),
    ],
    ids=["anthropic", "openai", "gemini"],
)
async def test_sdk_base_url_variable_is_used(
    wire: Wire, variable: str, api: FakeApi, prices: PriceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = "/v1" if wire.name == "openai" else ""
    monkeypatch.setenv(variable, api.url + suffix)
    chosen = settings(provider=wire.name, **{KEYS[wire.name]: FAKE_KEY})
    await _complete_once(build_provider(wire.name, chosen, prices), wire, api)


async def _complete_once(provider: Provider, wire: Wire, api: FakeApi) -> None:
    api.script(wire.success("via base url"))
    try:
        completion = await provider.complete(simple_request())
    finally:
        await provider.aclose()
    assert completion.text == "via base url"
    assert [seen.path for seen in api.requests] == [wire.path]


def test_importing_the_factory_imports_no_sdk() -> None:
    code = (
        "import sys, flashgen.providers.factory, flashgen.providers.pricing;"
        "print([m for m in ('anthropic', 'openai', 'google.genai', 'httpx2') if m in sys.modules])"
    )
    root = Path(flashgen.__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.stdout.strip() == "[]"


def test_every_registry_entry_names_an_adapter_and_settings_that_exist() -> None:
    import importlib

    from flashgen.providers.registry import PROVIDERS

    fields = Settings.model_fields
    for name, entry in PROVIDERS.items():
        module, _, adapter = entry.adapter.partition(":")
        assert isinstance(getattr(importlib.import_module(module), adapter), type), name
        assert all(field in fields for field, _ in entry.keys), name
        assert entry.base_url[0] in fields, name


def test_base_urls_come_from_settings_env_file_included(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("OPENAI_BASE_URL=http://localhost:9/v1\n", encoding="utf-8")
    assert choose_provider(Settings(_env_file=env))[0] == "openai"
