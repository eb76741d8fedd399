"""Every model provider, one entry each: what ``flashgen`` needs to know about a provider before
its SDK is imported. Adding a provider is its adapter module, one entry here, and its key (and
base URL) fields in ``Settings``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from flashgen.providers.estimate import gemini_thinking_budget


def _no_thinking(model: str, setting: int | None) -> int:
    return 0


@dataclass(frozen=True)
class ProviderEntry:
    name: str
    label: str  # as people write it
    # "module:Class", imported only when the provider is built: SDKs take a second or more to
    # import, and ``flashgen --help`` or an offline run should not pay for that.
    adapter: str
    default_model: str
    # (Settings field, the variable the SDK reads) in the order they are tried
    keys: tuple[tuple[str, str], ...]
    base_url: tuple[str, str]  # (Settings field, the SDK's variable)
    sdk_base_url: str
    keyless_with_base_url: bool = False  # a local compatible server needs no key
    thinking_budget: Callable[[str, int | None], int] = _no_thinking
    batch_adapter: str = ""  # "module:Class" of its batch API adapter; "" while there is none

    @property
    def key_variables(self) -> tuple[str, ...]:
        return tuple(variable for _, variable in self.keys)


PROVIDERS: Final[Mapping[str, ProviderEntry]] = {
    entry.name: entry
    for entry in (
        ProviderEntry(
            name="anthropic",
            label="Anthropic",
            adapter="flashgen.providers.anthropic:AnthropicProvider",
            batch_adapter="flashgen.providers.anthropic_batch:AnthropicBatches",
            default_model="claude-sonnet-4-6",
            keys=(("anthropic_api_key", "ANTHROPIC_API_KEY"),),
            base_url=("anthropic_base_url", "ANTHROPIC_BASE_URL"),
            sdk_base_url="https://api.anthropic.com",
        ),
        ProviderEntry(
            name="gemini",
            label="Gemini",
            adapter="flashgen.providers.gemini:GeminiProvider",
            batch_adapter="flashgen.providers.gemini_batch:GeminiBatches",
            default_model="gemini-2.5-flash",
            keys=(("gemini_api_key", "GEMINI_API_KEY"), ("google_api_key", "GOOGLE_API_KEY")),
            base_url=("gemini_base_url", "GOOGLE_GEMINI_BASE_URL"),
            sdk_base_url="https://generativelanguage.googleapis.com",
            thinking_budget=gemini_thinking_budget,
        ),
        ProviderEntry(
            name="openai",
            label="OpenAI",
            adapter="flashgen.providers.openai:OpenAIProvider",
            batch_adapter="flashgen.providers.openai_batch:OpenAIBatches",
            default_model="gpt-4.1-mini",
            keys=(("openai_api_key", "OPENAI_API_KEY"),),
            base_url=("openai_base_url", "OPENAI_BASE_URL"),
            sdk_base_url="https://api.openai.com/v1",
            keyless_with_base_url=True,
        ),
    )
}
