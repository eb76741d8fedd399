"""Settings from (highest first) CLI flags, environment variables, ``.env``, then defaults.

Variables carry the ``FLASHGEN_`` prefix, except the providers' own key variables, which are
read under the names the SDKs document so that an existing shell setup just works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flashgen.generate.mix import QuestionMix, parse_types

ProviderName = Literal["auto", "offline", "anthropic", "gemini", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLASHGEN_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # where things are
    courses_dir: Path = Path("courses")
    output_dir: Path = Path("output")
    cache_dir: Path | None = None

    # which generator
    provider: ProviderName = "auto"
    model: str | None = None
    base_url: str | None = None
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    max_tokens: int = Field(8192, ge=256)
    # Seconds a call may take in all (the scheduler's deadline, see DeadlinePolicy) and the
    # longest silence the SDKs wait.
    timeout: float = Field(120.0, gt=0)
    prices_file: Path | None = None
    # Gemini's thinking budget in tokens, sent explicitly on every request (thinking is billed
    # as output): -1 lets the model decide; unset, the least the model accepts (0, thinking
    # off, on Flash models; 128 on 2.5 Pro, which cannot turn it off).
    gemini_thinking_budget: int | None = Field(None, ge=-1, le=32768)

    # how hard to push
    max_concurrent_requests: int = Field(10, ge=1, le=512)
    batch_processing_enabled: bool = True
    max_retries: int = Field(5, ge=0, le=20)
    # Seconds of nothing but overload refusals (529, 503, capacity 429s) before the run stops
    # sending and says to rerun later (FLASHGEN_OVERLOAD_PATIENCE).
    overload_patience: float = Field(60.0, gt=0, le=3600)
    max_corrections: int = Field(2, ge=0, le=5)
    budget: float | None = Field(None, gt=0)
    # The account's per-minute limits (FLASHGEN_RPM, FLASHGEN_ITPM, FLASHGEN_OTPM); unset,
    # flashgen paces from the provider's rate-limit headers and 429s alone.
    rpm: int | None = Field(None, ge=1)
    itpm: int | None = Field(None, ge=1)
    otpm: int | None = Field(None, ge=1)
    # Send a second copy of a straggling call when a slot would otherwise idle (see
    # flashgen.run.scheduler); off with --budget, where every dollar goes to tasks.
    hedge: bool = True
    # --batch: requests go to the provider's batch API (half price, results within a day);
    # failed batch requests go in the next batch, or to normal calls (batch_fallback "live");
    # batch_wait False submits and leaves. Polling and settling are seconds (tests shorten them).
    batch: bool = False
    batch_fallback: Literal["next", "live"] = "next"
    batch_wait: bool = True
    batch_poll_seconds: float = Field(30.0, gt=0)
    batch_settle_seconds: float = Field(0.5, ge=0)

    # what to generate
    chunk_size: int = Field(6000, ge=500)
    chunk_overlap: int = Field(300, ge=0)
    language: str | None = None
    max_file_mb: float = Field(50.0, gt=0)
    cards_per_chunk_min: int = Field(4, ge=1, le=20)
    cards_per_chunk_max: int = Field(6, ge=1, le=30)
    questions_per_card: int = Field(5, ge=1, le=20)
    max_questions_per_request: int = Field(20, ge=3, le=60)
    question_types: str = "mcq,mca"
    level_mca_percent: str = "5,30,50,70"

    # provider keys under the names the SDKs use
    anthropic_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "FLASHGEN_ANTHROPIC_API_KEY")
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "FLASHGEN_OPENAI_API_KEY")
    )
    gemini_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("GEMINI_API_KEY", "FLASHGEN_GEMINI_API_KEY")
    )
    # the google-genai SDK's other name for the Gemini key, used when GEMINI_API_KEY is not set
    google_api_key: SecretStr | None = Field(None, validation_alias="GOOGLE_API_KEY")
    # each SDK's own base-URL variable (``base_url`` above, --base-url, wins for the provider a
    # run uses); read here so that the providers read no environment themselves
    anthropic_base_url: str | None = Field(None, validation_alias="ANTHROPIC_BASE_URL")
    gemini_base_url: str | None = Field(None, validation_alias="GOOGLE_GEMINI_BASE_URL")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size // 2:
            raise ValueError("chunk_overlap must be less than half of chunk_size")
        if self.cards_per_chunk_min > self.cards_per_chunk_max:
            raise ValueError("cards_per_chunk_min must not exceed cards_per_chunk_max")
        parse_types(self.question_types)
        self.mca_percent  # noqa: B018 - parsing is the check
        return self

    @property
    def question_mix(self) -> QuestionMix:
        return QuestionMix(parse_types(self.question_types), self.mca_percent)

    @property
    def mca_percent(self) -> dict[int, int]:
        try:
            values = [int(part) for part in self.level_mca_percent.split(",")]
        except ValueError:
            values = []
        if len(values) != 4 or not all(0 <= v <= 100 for v in values):
            raise ValueError(
                "level_mca_percent takes four percentages, levels 1 to 4, e.g. 5,30,50,70"
            )
        return dict(zip((1, 2, 3, 4), values, strict=True))

    @property
    def sequential(self) -> bool:
        return not self.batch_processing_enabled

    @property
    def cache_path(self) -> Path:
        from flashgen.output.cache import CACHE_FILE

        return (self.cache_dir or self.output_dir) / CACHE_FILE

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)

    @property
    def concurrency(self) -> int:
        return 1 if self.sequential else self.max_concurrent_requests


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``None`` overrides mean "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
