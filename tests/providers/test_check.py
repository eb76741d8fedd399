"""``flashgen providers --check`` against each strict local server: accepted, a refused schema,
a model name the API does not know, and no key at all."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from flashgen.cli import app
from flashgen.providers import check
from flashgen.providers.factory import BASE_URL_VARIABLES, DEFAULT_MODELS

from .fake_api import FAKE_KEY, WIRES, Wire
from .model_server import answer, serve_model

runner = CliRunner()
# The shape drafts.envelope_schema had at 032068b: an item's own $defs nested under "items",
# where the "#/$defs/…" reference, resolved from the root, finds nothing.
NESTED_DEFS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "$defs": {
                    "Answers": {
                        "type": "object",
                        "properties": {"concise": {"type": "string"}},
                        "required": ["concise"],
                        "additionalProperties": False,
                    }
                },
                "type": "object",
                "properties": {"answers": {"$ref": "#/$defs/Answers"}},
                "required": ["answers"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["items"],
    "additionalProperties": False,
}


def run_check(
    wire: Wire, server: HTTPServer, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    monkeypatch.setenv(wire.key_variable, FAKE_KEY)
    url = f"http://127.0.0.1:{server.port}{wire.url_suffix}"
    result = runner.invoke(
        app, ["providers", "--check", "--provider", wire.name, "--base-url", url, *args]
    )
    assert FAKE_KEY not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("wire", WIRES, ids=[w.name for w in WIRES])
def test_an_accepted_key_model_and_schema_pass_in_one_request(
    wire: Wire, api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = serve_model(api_server, wire)

    code, output = run_check(wire, api_server, monkeypatch, "--model", wire.model)

    assert code == 0, output
    assert f"ok {wire.name} {wire.model}" in output
    assert "key, model and schema accepted" in output
    assert len(seen) == 1


@pytest.mark.parametrize("wire", WIRES, ids=[w.name for w in WIRES])
@pytest.mark.parametrize(
    ("case", "status", "said"),
    [
        ("refused schema", 400, ["#/$defs/Answers", "can not be resolved"]),
        ("unknown model", 404, ["no-such-model", "model"]),
    ],
)
def test_a_refusal_is_reported_with_the_apis_reason(
    wire: Wire,
    case: str,
    status: int,
    said: list[str],
    api_server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statuses: list[int] = []
    serve_model(api_server, wire, observe=lambda code, body: statuses.append(code))
    model = wire.model
    if case == "refused schema":
        broken = replace(check.check_request(), json_schema=NESTED_DEFS)
        monkeypatch.setattr(check, "check_request", lambda: broken)
    else:
        model = "no-such-model"

    code, output = run_check(wire, api_server, monkeypatch, "--model", model)

    assert statuses == [status]
    assert code == 1
    assert f"failed {wire.name}" in output
    assert all(text in output for text in said), output


def test_without_any_key_there_is_nothing_to_check() -> None:
    result = runner.invoke(app, ["providers", "--check"])

    assert result.exit_code == 2
    assert "no provider to check" in result.output and "ANTHROPIC_API_KEY" in result.output


def test_every_configured_provider_is_checked_with_its_default_model(
    api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three keys, three servers (one local server routing by path): three requests, at once."""
    paths: list[str] = []

    def handle(request: Request) -> Response:
        wire = next(w for w in WIRES if request.path.endswith(w.path.rsplit("/", 1)[-1]))
        paths.append(request.path)
        status, body, _ = answer(wire, request.path, json.loads(request.get_data()))
        return Response(json.dumps(body), status, content_type="application/json")

    api_server.clear()
    api_server.expect_request(re.compile(".*")).respond_with_handler(handle)
    url = f"http://127.0.0.1:{api_server.port}"
    for wire in WIRES:
        monkeypatch.setenv(wire.key_variable, FAKE_KEY)
    for name, variable in BASE_URL_VARIABLES.items():
        monkeypatch.setenv(variable, url + ("/v1" if name == "openai" else ""))

    result = runner.invoke(app, ["providers", "--check"])

    assert result.exit_code == 0, result.output
    for name, model in DEFAULT_MODELS.items():
        assert f"ok {name} {model}" in result.output
    assert len(paths) == 3
