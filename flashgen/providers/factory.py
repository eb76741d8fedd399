"""Which provider a run uses, building it, and describing all of them for ``flashgen providers``.

Adapters are imported inside ``build_provider`` only: their SDKs take a second or more to import,
and ``flashgen --help`` or an offline run should not pay for that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import SecretStr

from flashgen.config import Settings
from flashgen.errors import ConfigError, MissingApiKey
from flashgen.providers.base import Provider
from flashgen.providers.common import AdapterConfig
from flashgen.providers.estimate import gemini_thinking_budget
from flashgen.providers.pricing import PriceTable

LLMProviderName = Literal["anthropic", "gemini", "openai"]
LLM_PROVIDERS: Final[tuple[LLMProviderName, ...]] = ("anthropic", "gemini", "openai")

DEFAULT_MODELS: Final[Mapping[LLMProviderName, str]] = {
    "anthropic": "claude-sonnet-4-6",
    "gemini": "gemini-2.5-flash",
    "openai": "gpt-4.1-mini",
}
# The variables each SDK reads; Settings reads the same names (GOOGLE_API_KEY works for Gemini).
KEY_VARIABLES: Final[Mapping[LLMProviderName, tuple[str, ...]]] = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openai": ("OPENAI_API_KEY",),
}
BASE_URL_VARIABLES: Final[Mapping[LLMProviderName, str]] = {
    "anthropic": "ANTHROPIC_BASE_URL",
    "gemini": "GOOGLE_GEMINI_BASE_URL",
    "openai": "OPENAI_BASE_URL",
}
SDK_BASE_URLS: Final[Mapping[LLMProviderName, str]] = {
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "openai": "https://api.openai.com/v1",
}
NO_KEY_REASON = (
    "no API key found: set ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENAI_API_KEY to use a model"
)


@dataclass(frozen=True)
class ProviderStatus:
    """One row of ``flashgen providers``; it says where a key would come from, never the key."""

    name: str
    key_found: bool
    key_variable: str
    default_model: str
    base_url: str
    selected: bool = False


def choose_provider(settings: Settings) -> tuple[str, str]:
    """``(name, reason)``: the provider the run will use, and why, in words for the user.

    ``auto`` takes the first of Anthropic, Gemini and OpenAI that has a key (OpenAI also with
    just a base URL, for local servers), else ``offline``. An explicit provider without its key
    is a configuration error rather than a silent switch to another provider.
    """
    if settings.provider == "offline":
        return "offline", "offline generator chosen explicitly"
    if settings.provider != "auto":
        name = settings.provider
        if not _usable(name, settings):
            raise _missing_key(name)
        return name, f"{name} chosen explicitly"
    for name in LLM_PROVIDERS:
        if _api_key(name, settings) is not None:
            return name, f"{_key_variable(name)} is set"
        if name == "openai" and _base_url(name, settings, override=True) is not None:
            return name, "a base URL for an OpenAI-compatible server is set"
    return "offline", NO_KEY_REASON


def build_provider(name: str, settings: Settings, prices: PriceTable) -> Provider:
    """The adapter for ``name`` with one SDK client, configured from ``settings``."""
    provider = _llm_provider(name)
    if not _usable(provider, settings):
        raise _missing_key(provider)
    model = settings.model or DEFAULT_MODELS[provider]
    config = AdapterConfig(
        model=model,
        prices=prices,
        timeout=settings.timeout,
        base_url=_base_url(provider, settings, override=True),
        api_key=_api_key(provider, settings),
        thinking_budget=(
            gemini_thinking_budget(model, settings.gemini_thinking_budget)
            if provider == "gemini"
            else 0
        ),
    )
    if provider == "anthropic":
        from flashgen.providers.anthropic import AnthropicProvider

        return AnthropicProvider(config)
    if provider == "gemini":
        from flashgen.providers.gemini import GeminiProvider

        return GeminiProvider(config)
    from flashgen.providers.openai import OpenAIProvider

    return OpenAIProvider(config)


def describe_providers(settings: Settings) -> list[ProviderStatus]:
    """Every model provider: key found or not, default model, base URL, which one a run picks."""
    try:
        chosen = choose_provider(settings)[0]
    except MissingApiKey:
        chosen = settings.provider
    return [
        ProviderStatus(
            name=name,
            key_found=_api_key(name, settings) is not None,
            key_variable=_key_variable(name),
            default_model=DEFAULT_MODELS[name],
            base_url=_base_url(name, settings, override=name == chosen) or SDK_BASE_URLS[name],
            selected=name == chosen,
        )
        for name in LLM_PROVIDERS
    ]


def configured_providers(settings: Settings) -> list[LLMProviderName]:
    """The providers a run could use now: a key found (OpenAI: or a base URL set)."""
    return [name for name in LLM_PROVIDERS if _usable(name, settings)]


def _api_key(name: LLMProviderName, settings: Settings) -> SecretStr | None:
    keys: dict[LLMProviderName, SecretStr | None] = {
        "anthropic": settings.anthropic_api_key,
        "gemini": settings.gemini_api_key,
        "openai": settings.openai_api_key,
    }
    key = keys[name]
    return key if key is not None and key.get_secret_value().strip() else None


def _base_url(name: LLMProviderName, settings: Settings, *, override: bool) -> str | None:
    """``settings.base_url`` for the provider the run uses (``override``), else the SDK's own
    variable, which the SDK would read anyway; ``None`` leaves the SDK's default."""
    if override and settings.base_url:
        return settings.base_url
    return os.environ.get(BASE_URL_VARIABLES[name]) or None


def _usable(name: LLMProviderName, settings: Settings) -> bool:
    if _api_key(name, settings) is not None:
        return True
    return name == "openai" and _base_url(name, settings, override=True) is not None


def _llm_provider(name: str) -> LLMProviderName:
    for known in LLM_PROVIDERS:
        if known == name:
            return known
    raise ConfigError(
        f"'{name}' is not a model provider",
        hint="use anthropic, gemini or openai; the offline generator needs no provider",
    )


def _key_variable(name: LLMProviderName) -> str:
    """The variable that holds (or should hold) the key: the first of its names that is set."""
    names = KEY_VARIABLES[name]
    return next((var for var in names if os.environ.get(var)), names[0])


def _missing_key(name: LLMProviderName) -> MissingApiKey:
    variable = KEY_VARIABLES[name][0]
    hint = f"export {variable}=… (or put it in .env), or choose another --provider"
    if name == "openai":
        hint += "; for a local OpenAI-compatible server set --base-url instead"
    return MissingApiKey(f"{name} needs an API key and {variable} is not set", hint=hint)
