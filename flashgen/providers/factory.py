"""Which provider a run uses, building it, and describing all of them for ``flashgen providers``.

Adapters are imported inside ``build_provider`` only: their SDKs take a second or more to import,
and ``flashgen --help`` or an offline run should not pay for that.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import SecretStr

from flashgen.config import Settings
from flashgen.errors import ConfigError, MissingApiKey
from flashgen.providers.base import Provider
from flashgen.providers.batch import BatchApi
from flashgen.providers.common import AdapterConfig
from flashgen.providers.pricing import PriceTable
from flashgen.providers.registry import PROVIDERS, ProviderEntry


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


LLMProviderName = str  # a key of ``PROVIDERS``
LLM_PROVIDERS: Final[tuple[str, ...]] = tuple(PROVIDERS)  # ``auto`` tries them in this order
DEFAULT_MODELS: Final[Mapping[str, str]] = {n: p.default_model for n, p in PROVIDERS.items()}
KEY_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    n: p.key_variables for n, p in PROVIDERS.items()
}
BASE_URL_VARIABLES: Final[Mapping[str, str]] = {n: p.base_url[1] for n, p in PROVIDERS.items()}
SDK_BASE_URLS: Final[Mapping[str, str]] = {n: p.sdk_base_url for n, p in PROVIDERS.items()}
NO_KEY_REASON = (
    "no API key found: set "
    + _or([p.key_variables[0] for p in PROVIDERS.values()])
    + " to use a model"
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
        chosen: str = settings.provider
        if not _usable(chosen, settings):
            raise _missing_key(chosen)
        return chosen, f"{chosen} chosen explicitly"
    for name in LLM_PROVIDERS:
        if _api_key(name, settings) is not None:
            return name, f"{_key_variable(name, settings)} is set"
        if PROVIDERS[name].keyless_with_base_url and _base_url(name, settings, override=True):
            return name, f"a base URL for an {PROVIDERS[name].label}-compatible server is set"
    return "offline", NO_KEY_REASON


def build_provider(name: str, settings: Settings, prices: PriceTable) -> Provider:
    """The adapter for ``name`` with one SDK client, configured from ``settings``."""
    provider: Provider = _build(name, settings, prices, _entry(name).adapter)
    return provider


def build_batch_api(name: str, settings: Settings, prices: PriceTable) -> BatchApi:
    """The batch API adapter for ``name`` (``--batch``), with its own SDK client."""
    entry = _entry(name)
    if not entry.batch_adapter:
        supported = [e.name for e in PROVIDERS.values() if e.batch_adapter]
        raise ConfigError(
            f"--batch is not available for {entry.label} yet",
            hint=f"use --provider {_or(supported)} with --batch, or run without --batch",
        )
    api: BatchApi = _build(name, settings, prices, entry.batch_adapter)
    return api


def _build(name: str, settings: Settings, prices: PriceTable, adapter_path: str) -> Any:
    entry = _entry(name)
    if not _usable(name, settings):
        raise _missing_key(name)
    model = settings.model or entry.default_model
    config = AdapterConfig(
        model=model,
        prices=prices,
        timeout=settings.timeout,
        base_url=_base_url(name, settings, override=True),
        api_key=_api_key(name, settings),
        thinking_budget=entry.thinking_budget(model, settings.gemini_thinking_budget),
    )
    module, _, adapter = adapter_path.partition(":")
    return getattr(importlib.import_module(module), adapter)(config)


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
            key_variable=_key_variable(name, settings),
            default_model=DEFAULT_MODELS[name],
            base_url=_base_url(name, settings, override=name == chosen) or SDK_BASE_URLS[name],
            selected=name == chosen,
        )
        for name in LLM_PROVIDERS
    ]


def configured_providers(settings: Settings) -> list[LLMProviderName]:
    """The providers a run could use now: a key found (OpenAI: or a base URL set)."""
    return [name for name in LLM_PROVIDERS if _usable(name, settings)]


def _api_key(name: str, settings: Settings) -> SecretStr | None:
    """The first of the provider's keys that is set (and not blank)."""
    for field, _ in PROVIDERS[name].keys:
        key: SecretStr | None = getattr(settings, field)
        if key is not None and key.get_secret_value().strip():
            return key
    return None


def _base_url(name: str, settings: Settings, *, override: bool) -> str | None:
    """``settings.base_url`` for the provider the run uses (``override``), else the SDK's own
    variable, which the SDK would read anyway; ``None`` leaves the SDK's default."""
    if override and settings.base_url:
        return settings.base_url
    url: str | None = getattr(settings, PROVIDERS[name].base_url[0])
    return url or None


def _usable(name: str, settings: Settings) -> bool:
    if _api_key(name, settings) is not None:
        return True
    return (
        PROVIDERS[name].keyless_with_base_url
        and _base_url(name, settings, override=True) is not None
    )


def _entry(name: str) -> ProviderEntry:
    entry = PROVIDERS.get(name)
    if entry is None:
        raise ConfigError(
            f"'{name}' is not a model provider",
            hint=f"use {_or(list(PROVIDERS))}; the offline generator needs no provider",
        )
    return entry


def _key_variable(name: str, settings: Settings) -> str:
    """The variable that holds (or should hold) the key: the first of its names that is set."""
    keys = PROVIDERS[name].keys
    return next((var for field, var in keys if getattr(settings, field)), keys[0][1])


def _missing_key(name: str) -> MissingApiKey:
    entry = PROVIDERS[name]
    variable = entry.key_variables[0]
    hint = f"export {variable}=… (or put it in .env), or choose another --provider"
    if entry.keyless_with_base_url:
        hint += f"; for a local {entry.label}-compatible server set --base-url instead"
    return MissingApiKey(f"{name} needs an API key and {variable} is not set", hint=hint)
