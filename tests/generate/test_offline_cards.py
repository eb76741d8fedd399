"""Offline definition shapes: the ones that give correct cards, and look-alikes that do not.

Each refused case is a card the generator once wrote from a real lecture in
../shared/real-lectures (quoted in the test), reduced to the sentence that caused it."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashgen.generate.offline.cards import Definition, find_definitions
from flashgen.generate.offline.text import sentences
from flashgen.ingest.cleaning import clean_blocks
from flashgen.ingest.extract import extract
from flashgen.models import Lecture

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-lectures"


def defined(text: str, language: str = "en") -> dict[str, str]:
    return {d.term: d.answer for d in _definitions(text, language)}


def _definitions(text: str, language: str = "en") -> list[Definition]:
    return find_definitions(sentences(text), language, text)


@pytest.mark.parametrize(
    "text",
    [
        # bio180 practice exam, a sample answer: a quantity of this case, not a term
        "The level of biliverdin in blood is a heritable trait that varied in the ancestral "
        "lizard population.",
        # the same exam: the value a variable takes in this experiment, not what it is
        "The independent variable is the color of blood, and the dependent variable is the "
        "rate of predation.",
        # bio180 slides: a heading run into a sentence about the topic
        "Implications for inheritance: When studying the effects of a gene, you need to "
        "control for the physical environment.",
        # social-modelling slides: a label that is a claim
        "ABM offers explanations: theories that generate the observed behavior and link it "
        "to other empirical facts",
        # research-software slides: a gerund naming an activity
        "Writing docstrings is an easy way to write documentation while you type code.",
    ],
)
def test_look_alikes_of_definitions_give_no_card(text: str) -> None:
    assert defined(text) == {}


def test_two_terms_with_one_explanation_keep_only_the_first() -> None:
    """The library-git handout explains `git push` with `git commit`'s text (a copy slip)."""
    text = (
        "- git commit: commits 'saves' the staged snapshot to the project history.\n"
        "- git push: commits the staged snapshot to the project history.\n"
        "- git pull: merges upstream changes into your local repository\n"
    )
    assert defined(text) == {
        "git commit": "Commits 'saves' the staged snapshot to the project history.",
        "git pull": "Merges upstream changes into your local repository.",
    }


def test_equated_list_items_reversed_definitions_and_glossed_bold_terms() -> None:
    slide = (
        "# Begriffe\n\n- Checked = *erwartbare* Fehlerquellen (z.B. I/O)\n"
        "- Unchecked = meist Programmierfehler / Logikfehler\n"
    )
    assert defined(slide, "de") == {
        "Checked": "Erwartbare Fehlerquellen (z.B. I/O)",
        "Unchecked": "Meist Programmierfehler / Logikfehler.",
    }
    assert defined("The smallest unit of life that can divide is called the cell.") == {
        "cell": "The smallest unit of life that can divide."
    }
    assert defined("Ein Fehler im System, der nicht behebbar ist, heißt Error.", "de") == {
        "Error": "Ein Fehler im System, der nicht behebbar ist."
    }
    notes = (
        "This adds our file to the **staging area** (the area where git checks for file "
        "changes). To confirm this we use `git status`."
    )
    assert defined(notes) == {"staging area": "The area where git checks for file changes."}


def test_real_handout_gives_one_card_per_git_command() -> None:
    path = REAL / "library-git" / "librarycarpentry-git_handout.docx"
    if not path.is_file():
        pytest.skip(f"{path} not found (real lecture files are beside the repository)")
    [block] = clean_blocks(extract(Lecture(id="h", path=path, kind="docx")).blocks, "docx")
    cards = defined(block.text)
    assert cards["git status"] == (
        "View the status of your files in the working directory and staging area."
    )
    assert cards["git add"] == "Tells git to start tracking a file, or a series of files."
    assert "git push" not in cards  # the handout gives it git commit's explanation


def test_purpose_named_statement_and_appositive_shapes() -> None:
    from flashgen.generate.offline.cards import card_question
    from flashgen.generate.offline.lang import wording

    found = {
        d.term: d
        for text, language in [
            ("The commit message is used to record a short summary of what we did.", "en"),
            ("Checked Exceptions sind für erwartbare Fehlerfälle gedacht, die man abfängt.", "de"),
            (
                "Sturtevant’s insight: The percentage of recombinants is proportional to the "
                "physical distance between genes.",
                "en",
            ),
            (
                "Let's create a file using the `touch` command, which is a quick way to create "
                "an empty file.",
                "en",
            ),
        ]
        for d in _definitions(text, language)
    }
    asked = {
        term: (card_question(d, wording("de" if "Checked" in term else "en")), d.answer)  # type: ignore[arg-type]
        for term, d in found.items()
    }
    assert asked == {
        "commit message": (
            "What is the commit message used for?",
            "To record a short summary of what we did.",
        ),
        "Checked Exceptions": (
            "Wofür sind Checked Exceptions gedacht?",
            "Für erwartbare Fehlerfälle, die man abfängt.",
        ),
        "Sturtevant’s insight": (
            "What does Sturtevant’s insight state?",
            "The percentage of recombinants is proportional to the physical distance between "
            "genes.",
        ),
        "touch command": ("What is the touch command?", "A quick way to create an empty file."),
    }


def test_equated_instructions_and_task_sentences_give_no_card() -> None:
    # prog2 slides: "Checked = behandeln oder deklarieren" is a rule of what to do
    assert (
        defined(
            "- Checked = behandeln oder deklarieren\n- Unchecked = keine Pflicht, aber "
            "bewusst einsetzen\n",
            "de",
        )
        == {}
    )
    from flashgen.generate.offline.cloze import find_clozes

    text = (
        "- Unchecked = meist Programmierfehler / Logikfehler\n\n"
        "k2: Ich kann zwischen checked und unchecked Exceptions unterscheiden\n\n"
        "Nennen Sie je zwei Beispiele für checked bzw. unchecked Exceptions.\n"
    )
    found = sentences(text)
    assert find_clozes(found, find_definitions(found, "de", text), 5, own=False) == []


def test_no_cloze_in_classroom_talk_or_beside_its_opposite_or_compound() -> None:
    from flashgen.generate.offline.cloze import find_clozes

    text = (
        "A git repository is a data structure used to track changes to files.\n\n"
        "Let's use the command line to create a git repository for the experiments today.\n\n"
        "The hello-world directory is now a git repository.\n\n"
        "- Checked Exceptions = erwartbare Fehlerquellen wie fehlende Dateien\n\n"
        "Es wird zwischen checked Exceptions und unchecked Exceptions unterschieden.\n\n"
        "Wenn der Aufrufer sich von einer Exception-Situation erholen kann, sollte man eine "
        "checked Exception nutzen.\n"
    )
    found = sentences(text)
    clozes = find_clozes(found, find_definitions(found, "en", text), 9, own=False)
    assert [c.text for c in clozes] == ["The hello-world directory is now a ____."]


def test_a_one_word_label_is_named_as_the_lecture_names_it() -> None:
    """prog2: "Checked = erwartbare Fehlerquellen" is about checked exceptions, which the
    notes call "Checked Exceptions" throughout."""
    text = (
        "Es gibt **checked** Exceptions. Checked Exceptions müssen deklariert werden.\n\n"
        "- Checked = erwartbare Fehlerquellen (z.B. I/O)\n"
        "- Error = ein Fehler im System\n"
    )
    assert defined(text, "de") == {
        "Checked Exceptions": "Erwartbare Fehlerquellen (z.B. I/O)",
        "Error": "Ein Fehler im System.",
    }


def test_no_cloze_on_the_word_every_sentence_uses() -> None:
    from flashgen.generate.offline.cloze import find_clozes

    text = "Eine Exception ist ein Fehlerfall, auf den man im Programm reagieren kann.\n\n" + (
        "\n\n".join(
            f"Im Fall {n} sollte man eine passende Exception im Code werfen." for n in range(9)
        )
    )
    found = sentences(text)
    definitions = find_definitions(found, "de", text)
    assert [d.term for d in definitions] == ["Exception"]
    assert find_clozes(found, definitions, 5, own=False) == []
    fewer = "\n\n".join(text.split("\n\n")[:4])
    found = sentences(fewer)
    assert find_clozes(found, find_definitions(found, "de", fewer), 5, own=False)
