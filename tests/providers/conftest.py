"""Fixtures for the provider tests: an isolated environment, the fake API server, price table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest
from pytest_httpserver import HTTPServer

from flashgen.providers.base import Provider
from flashgen.providers.pricing import PriceTable

from .fake_api import FakeApi, Wire

# Variables the SDKs or Settings would read; a developer's real setup must not leak into tests.
_ISOLATED_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "ANTHROPIC_PROFILE",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_CUSTOM_HEADERS",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_GENAI_API_VERSION",
    "FLASHGEN_PROVIDER",
    "FLASHGEN_MODEL",
    "FLASHGEN_BASE_URL",
    "FLASHGEN_PRICES_FILE",
)


@pytest.fixture(scope="session")
def one_ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA bundle of one certificate. Each SDK client loads the CA bundle for its TLS context,
    about 40 ms for the full one; the fake server speaks plain HTTP, so one CA is plenty and
    saves most of the suite's time."""
    bundle = Path(certifi.where()).read_text(encoding="ascii")
    end = "-----END CERTIFICATE-----"
    path = tmp_path_factory.mktemp("tls") / "one-ca.pem"
    path.write_text(
        bundle[bundle.index("-----BEGIN CERTIFICATE-----") : bundle.index(end) + len(end)]
    )
    return path


@pytest.fixture(autouse=True)
def isolated_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, one_ca_file: Path
) -> None:
    if request.node.get_closest_marker("live"):
        return
    for name in _ISOLATED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(one_ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    # Hedging sends extra calls when one straggles, which depends on timing; tests that count
    # calls exactly run without it, and test_hedging turns it back on.
    monkeypatch.setenv("FLASHGEN_HEDGE", "false")


@pytest.fixture(scope="session")
def api_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def api(api_server: HTTPServer) -> FakeApi:
    return FakeApi(api_server)


@pytest.fixture(scope="session")
def prices() -> PriceTable:
    return PriceTable.load()


MakeProvider = Callable[..., Provider]


@pytest.fixture
async def make_provider(api: FakeApi, prices: PriceTable) -> AsyncIterator[MakeProvider]:
    """Builds adapters pointed at the fake server and closes them after the test."""
    built: list[Provider] = []

    def make(wire: Wire, url: str | None = None, **options: Any) -> Provider:
        provider = wire.build(url or api.url, prices, **options)
        built.append(provider)
        return provider

    yield make
    for provider in built:
        await provider.aclose()
