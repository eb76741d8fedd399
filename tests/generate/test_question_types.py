"""The question types are declared once (their model in ``flashgen.models``); everything else
that is keyed by type reads that declaration, and these checks say what a new type still needs."""

from __future__ import annotations

from flashgen.generate.drafts import QUESTION_DRAFTS
from flashgen.generate.mix import parse_types
from flashgen.generate.prompts import type_rules
from flashgen.models import (
    QUESTION_MODELS,
    QUESTION_TYPES,
    ChoiceQuestion,
    FillInBlankQuestion,
    PairedQuestion,
    TrueFalseQuestion,
)


def test_existing_types_keep_their_order() -> None:
    # The mix breaks allocation ties and hands out types in this order: moving one reshuffles
    # which card gets which type, so a new type goes after these.
    assert QUESTION_TYPES[:6] == (
        "mcq",
        "mca",
        "true_false",
        "fill_in_blank",
        "matching",
        "categorization",
    )
    assert parse_types(",".join(QUESTION_TYPES)) == QUESTION_TYPES


def test_every_type_has_a_reply_model_and_a_prompt_rule() -> None:
    assert set(QUESTION_DRAFTS) == set(QUESTION_TYPES), "add the type's Draft… to drafts.py"
    missing = set(QUESTION_TYPES) - set(type_rules())
    assert not missing, f"add a line for {missing} to generate/prompts/question_types.toml"


def test_every_type_has_an_export_shape() -> None:
    """Exporters know four shapes; a type outside them needs a renderer in each exporter."""
    shapes = (ChoiceQuestion, TrueFalseQuestion, FillInBlankQuestion, PairedQuestion)
    assert all(issubclass(model, shapes) for model in QUESTION_MODELS)
