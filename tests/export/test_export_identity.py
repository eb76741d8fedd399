from __future__ import annotations

from export_samples import card

from flashgen.export.identity import card_identities, numbered


def test_rewording_and_a_new_id_keep_the_identity() -> None:
    before = card("lec_1", 1)
    after = before.model_copy(update={"id": "new-id", "question": "Reworded entirely?"})
    assert (
        card_identities("c", "lec_1", [before])["algo-101-lec_1-c1"]
        == (card_identities("c", "lec_1", [after])["new-id"])
    )


def test_term_spelling_variants_are_one_term() -> None:
    variants = [card("l", 0).model_copy(update={"term": t}) for t in ("Quick sort", "quicksort:")]
    keys = [card_identities("c", "l", [v])[v.id] for v in variants]
    assert keys[0] == keys[1] == "c/l/concept/quicksort"


def test_deleting_a_card_does_not_move_its_neighbours() -> None:
    cards = [card("l", index) for index in range(3)]
    everything = card_identities("c", "l", cards)
    without_first = card_identities("c", "l", cards[1:])
    assert all(without_first[c.id] == everything[c.id] for c in cards[1:])


def test_repeats_and_missing_terms() -> None:
    same = card("l", 0)
    twin = same.model_copy(update={"id": "twin"})
    untermed = card("l", 5).model_copy(update={"term": "  "})
    keys = card_identities("c", "l", [same, twin, untermed])
    assert keys == {
        same.id: "c/l/concept/concept0",
        "twin": "c/l/concept/concept0#2",
        untermed.id: f"c/l/id/{untermed.id}",
    }
    assert numbered(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]
