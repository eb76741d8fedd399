from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from export_samples import COURSE, QUESTIONS_PER_QUIZ, QUIZZES_PER_COURSE

from flashgen.export import export_course
from flashgen.export.qti import MANIFEST_NS, QTI_NS

Q = f"{{{QTI_NS}}}"


@pytest.fixture
def package(output_dir: Path) -> dict[str, ET.Element]:
    result = export_course(output_dir, COURSE, "qti")
    assert result.questions == QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ
    with zipfile.ZipFile(result.path) as archive:
        assert archive.testzip() is None
        return {name: ET.fromstring(archive.read(name)) for name in archive.namelist()}


def metadata(item: ET.Element) -> dict[str, str]:
    fields = item.iter(f"{Q}qtimetadatafield")
    return {f.findtext(f"{Q}fieldlabel", ""): f.findtext(f"{Q}fieldentry", "") for f in fields}


def items_by_suffix(package: dict[str, ET.Element], title_prefix: str) -> dict[str, ET.Element]:
    items = [i for root in package.values() for i in root.iter(f"{Q}item")]
    return {
        i.get("title", "").rsplit("-", 1)[1]: i
        for i in items
        if i.get("title", "").startswith(title_prefix)
    }


def test_manifest_lists_one_assessment_per_lecture_and_level(
    package: dict[str, ET.Element],
) -> None:
    manifest = package.pop("imsmanifest.xml")
    assert manifest.tag == f"{{{MANIFEST_NS}}}manifest"
    resources = manifest.findall(f".//{{{MANIFEST_NS}}}resource")
    assert len(resources) == QUIZZES_PER_COURSE
    hrefs = [r.find(f"{{{MANIFEST_NS}}}file").get("href") for r in resources]  # type: ignore[union-attr]
    assert hrefs == list(package)  # every listed file exists and nothing else is in the zip
    titles = [root.find(f"{Q}assessment").get("title") for root in package.values()]  # type: ignore[union-attr]
    assert titles[:2] == [
        "Algorithms 101 - lec_1 - Level 1: Foundation",
        "Algorithms 101 - lec_1 - Level 2: Comprehension & Application",
    ]
    assert titles[-1].startswith("Algorithms 101 - lec_10 - Level 2")  # type: ignore[union-attr]
    for resource, root in zip(resources, package.values(), strict=True):
        assert root.tag == f"{Q}questestinterop"
        assessment = root.find(f"{Q}assessment")
        assert assessment is not None and assessment.get("ident") == resource.get("identifier")
        assert len(assessment.findall(f"{Q}section/{Q}item")) == QUESTIONS_PER_QUIZ


def test_idents_are_unique(package: dict[str, ET.Element]) -> None:
    roots = list(package.values())
    top = Counter(
        e.get("ident") for r in roots for t in ("assessment", "item") for e in r.iter(f"{Q}{t}")
    )
    assert len(top) == QUIZZES_PER_COURSE * (1 + QUESTIONS_PER_QUIZ) and max(top.values()) == 1
    owners: dict[str, str] = {}
    for item in (i for r in roots for i in r.iter(f"{Q}item")):
        responses = [e for e in item.iter() if e.tag in {f"{Q}response_lid", f"{Q}response_str"}]
        assert len({r.get("ident") for r in responses}) == len(responses)
        for response in responses:
            labels = [label.get("ident", "") for label in response.iter(f"{Q}response_label")]
            assert len(set(labels)) == len(labels)
            # Matching prompts share their answer list, as in Canvas; items never share idents.
            for label in labels:
                assert owners.setdefault(label, item.get("ident", "")) == item.get("ident")


def test_question_types_and_scoring(package: dict[str, ET.Element]) -> None:
    items = items_by_suffix(package, "lec_2-L1")
    types = {suffix: metadata(item)["question_type"] for suffix, item in items.items()}
    assert types == {
        "mcq": "multiple_choice_question",
        "mca": "multiple_answers_question",
        "tf": "true_false_question",
        "fib": "short_answer_question",
        "match": "matching_question",
        "cat": "matching_question",
    }
    for item in items.values():
        assert item.find(f"{Q}presentation/{Q}material/{Q}mattext") is not None
        assert item.find(f"{Q}resprocessing/{Q}outcomes/{Q}decvar").get("varname") == "SCORE"  # type: ignore[union-attr]
        assert item.find(f"{Q}itemfeedback[@ident='general_fb']") is not None

    def scored(suffix: str) -> list[tuple[str, str]]:
        conditions = items[suffix].iter(f"{Q}respcondition")
        return [
            (c.findtext(f"{Q}setvar", ""), " ".join(v.text or "" for v in c.iter(f"{Q}varequal")))
            for c in conditions
            if c.find(f"{Q}setvar") is not None
        ]

    mcq_ident = items["mcq"].get("ident")
    assert scored("mcq") == [("100", f"{mcq_ident}_B")]
    mca = items["mca"].find(f".//{Q}respcondition/{Q}conditionvar/{Q}and")
    assert mca is not None
    assert [v.text[-1] for v in mca.findall(f"{Q}varequal")] == ["A", "B"]  # type: ignore[index]
    assert [v.text[-1] for v in mca.iter(f"{Q}varequal") if v not in mca] == ["C", "D"]  # type: ignore[index]
    assert scored("tf")[0][1].endswith("_true")
    assert scored("fib") == [("100", "stable order-preserving")]
    assert [score for score, _ in scored("match")] == ["33.34", "33.33", "33.33"]
    assert len(scored("cat")) == 3


def test_matching_offers_every_distinct_answer_to_every_prompt(
    package: dict[str, ET.Element],
) -> None:
    item = items_by_suffix(package, "lec_1-L1")["cat"]
    responses = item.findall(f"{Q}presentation/{Q}response_lid")
    prompts = [r.findtext(f"{Q}material/{Q}mattext") for r in responses]
    assert prompts == ["Heapsort", "Insertion sort", "Merge sort"]
    for response in responses:
        labels = response.findall(f".//{Q}response_label/{Q}material/{Q}mattext")
        assert [label.text for label in labels] == ["Stable", "Unstable"]


def test_text_is_escaped_by_the_xml_writer(output_dir: Path) -> None:
    path = output_dir / COURSE / "lec_1" / "quiz_level_1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["questions"][0]["question_text"] = 'Is <b>1 < 2</b> & \x0c"quoted"?'
    path.write_text(json.dumps(data), encoding="utf-8")

    result = export_course(output_dir, COURSE, "qti")

    with zipfile.ZipFile(result.path) as archive:
        root = ET.fromstring(archive.read(archive.namelist()[1]))
    mattext = root.find(f".//{Q}item/{Q}presentation/{Q}material/{Q}mattext")
    assert mattext is not None
    assert mattext.text == 'Is &lt;b&gt;1 &lt; 2&lt;/b&gt; &amp; "quoted"?'


def test_reexport_is_byte_identical(output_dir: Path, tmp_path: Path) -> None:
    first = export_course(output_dir, COURSE, "qti", destination=tmp_path / "a.zip")
    second = export_course(output_dir, COURSE, "qti", destination=tmp_path / "b.zip")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_duplicate_question_ids_in_one_quiz_are_skipped(output_dir: Path) -> None:
    path = output_dir / COURSE / "lec_1" / "quiz_level_1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["questions"][1]["id"] = data["questions"][0]["id"]
    path.write_text(json.dumps(data), encoding="utf-8")

    result = export_course(output_dir, COURSE, "qti")

    assert result.questions == QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ - 1
    assert [s.item for s in result.skipped] == ["lec_1/quiz_level_1.json question lec_1-L1-mcq"]


def score(item: ET.Element, answers: dict[str, set[str]]) -> float:
    """QTI 1.2 response processing (ASI spec, section 3.9): conditions are tried in order; one
    that holds applies its setvar and ends processing unless it says continue="Yes"."""

    def holds(test: ET.Element) -> bool:
        tag = test.tag.removeprefix(Q)
        if tag == "varequal":
            return (test.text or "") in answers.get(test.get("respident", ""), set())
        if tag == "other":
            return True
        if tag == "not":
            return not all(holds(child) for child in test)
        if tag == "and":
            return all(holds(child) for child in test)
        # conditionvar: its children are alternatives for one response, or a single test.
        return any(holds(child) for child in test)

    total = 0.0
    for condition in item.iter(f"{Q}respcondition"):
        conditionvar = condition.find(f"{Q}conditionvar")
        if conditionvar is None or not holds(conditionvar):
            continue
        setvar = condition.find(f"{Q}setvar")
        if setvar is not None:
            value = float(setvar.text or 0)
            total = total + value if setvar.get("action") == "Add" else value
        if condition.get("continue", "No") != "Yes":
            break
    return round(total, 2)


def matching_answers(item: ET.Element, right: int) -> dict[str, set[str]]:
    """The right answer for the first ``right`` prompts, a wrong one for the rest."""
    answers: dict[str, set[str]] = {}
    conditions = [
        c.find(f"{Q}conditionvar/{Q}varequal")
        for c in item.iter(f"{Q}respcondition")
        if c.find(f"{Q}setvar") is not None
    ]
    for index, varequal in enumerate(v for v in conditions if v is not None):
        response = varequal.get("respident", "")
        choices = [
            label.get("ident", "")
            for label in item.iter(f"{Q}response_label")
            if label.get("ident", "").rsplit("_m", 1)[0] == item.get("ident")
        ]
        wrong = next(c for c in choices if c != varequal.text)
        answers[response] = {(varequal.text or "") if index < right else wrong}
    return answers


@pytest.mark.parametrize("suffix", ["match", "cat"])
def test_matching_scores_every_pair_and_adds_up_to_100(
    package: dict[str, ET.Element], suffix: str
) -> None:
    item = items_by_suffix(package, "lec_1-L2")[suffix]
    shares = [float(s.text or 0) for s in item.iter(f"{Q}setvar") if s.get("action") == "Add"]
    assert sum(shares) == 100 and len(shares) == 3
    assert score(item, matching_answers(item, right=3)) == 100
    assert score(item, matching_answers(item, right=2)) == 66.67
    assert score(item, matching_answers(item, right=0)) == 0


def test_choice_scoring(package: dict[str, ET.Element]) -> None:
    items = items_by_suffix(package, "lec_1-L1")
    mcq, mca = items["mcq"].get("ident"), items["mca"].get("ident")
    assert score(items["mcq"], {"response1": {f"{mcq}_B"}}) == 100
    assert score(items["mcq"], {"response1": {f"{mcq}_A"}}) == 0
    assert score(items["mca"], {"response1": {f"{mca}_A", f"{mca}_B"}}) == 100
    assert score(items["mca"], {"response1": {f"{mca}_A", f"{mca}_B", f"{mca}_C"}}) == 0
    assert score(items["fib"], {"response1": {"order-preserving"}}) == 100


@pytest.mark.parametrize("count", [2, 3, 6, 7, 9])
def test_shares_add_up_to_exactly_100(count: int) -> None:
    from flashgen.export.qti import _shares

    shares = _shares(count)
    assert len(shares) == count and sum(round(float(s) * 100) for s in shares) == 10_000
