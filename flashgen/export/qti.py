"""IMS QTI 1.2 package for Canvas classic quizzes: one assessment per lecture and level.

The item layout follows what Canvas itself exports (``question_type`` in ``itemmetadata``,
``response1`` for single responses, SCORE on a 0-100 scale). Every ident is derived from course,
lecture, level and question id, so an unchanged course exports byte-identical files and Canvas
can match re-imported items.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from flashgen.export.base import ExportResult
from flashgen.export.reader import CourseOutput, LectureOutput
from flashgen.export.render import clean, paired_warnings, stable_ident, to_html
from flashgen.models import (
    LEVEL_NAMES,
    ChoiceQuestion,
    FillInBlankQuestion,
    PairedQuestion,
    QuizFile,
    QuizQuestion,
    TrueFalseQuestion,
)

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
MANIFEST_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
# Canvas's question_type; every PairedQuestion (matching, categorization, …) is a matching
# question there: classic quizzes have no categorization type, and item -> category asks the same.
QUESTION_TYPES = {
    "mcq": "multiple_choice_question",
    "mca": "multiple_answers_question",
    "true_false": "true_false_question",
    "fill_in_blank": "short_answer_question",
}
MATCHING = "matching_question"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_qti(course: CourseOutput, path: Path, result: ExportResult) -> None:
    files: dict[str, bytes] = {}
    resources: list[tuple[str, str]] = []
    exported_questions: list[QuizQuestion] = []
    for lecture in course.lectures:
        exported = 0
        for level, quiz in lecture.quizzes.items():
            ident = stable_ident(course.id, lecture.id, level)
            assessment, count = _assessment(course, lecture, level, quiz, ident, result)
            if not count:
                continue
            href = f"{ident}/{ident}.xml"
            files[href] = _xml_bytes(assessment)
            resources.append((ident, href))
            exported += count
            exported_questions.extend(quiz.questions)
        result.questions += exported
        if exported:
            result.lectures += 1
    result.warnings.extend(paired_warnings(exported_questions, "Canvas classic quizzes have"))
    manifest = _manifest(stable_ident(course.id, "manifest"), resources)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("imsmanifest.xml", _xml_bytes(manifest)), *files.items()]:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=_ZIP_EPOCH), data, zipfile.ZIP_DEFLATED
            )


def _assessment(
    course: CourseOutput,
    lecture: LectureOutput,
    level: int,
    quiz: QuizFile,
    ident: str,
    result: ExportResult,
) -> tuple[ET.Element, int]:
    level_name = LEVEL_NAMES.get(level, "")
    title = f"{course.name} - {lecture.id} - Level {level}" + (
        f": {level_name}" if level_name else ""
    )
    root = ET.Element("questestinterop", xmlns=QTI_NS)
    assessment = ET.SubElement(root, "assessment", ident=ident, title=clean(title))
    section = ET.SubElement(assessment, "section", ident=f"{ident}_root")
    seen: set[str] = set()
    for question in quiz.questions:
        item_ident = stable_ident(ident, question.id)
        if item_ident in seen:
            result.skip(
                f"{lecture.id}/quiz_level_{level}.json question {question.id}",
                "duplicate question id in the same quiz",
            )
            continue
        seen.add(item_ident)
        section.append(_item(question, item_ident))
    return root, len(seen)


def _item(question: QuizQuestion, ident: str) -> ET.Element:
    item = ET.Element("item", ident=ident, title=clean(question.id))
    metadata = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
    presentation = ET.Element("presentation")
    _mattext(presentation, to_html(question.question_text))
    processing = ET.Element("resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(
        outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal"
    )
    # Canvas shows general feedback from a condition that always holds and lets processing go on.
    always = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
    ET.SubElement(ET.SubElement(always, "conditionvar"), "other")
    ET.SubElement(always, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")

    answer_idents = _responses(question, ident, presentation, processing)

    for label, entry in [
        ("question_type", _canvas_type(question)),
        ("points_possible", "1.0"),
        ("original_answer_ids", ",".join(answer_idents)),
    ]:
        field = ET.SubElement(metadata, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry
    item.extend([presentation, processing])
    feedback = ET.SubElement(item, "itemfeedback", ident="general_fb")
    _mattext(ET.SubElement(feedback, "flow_mat"), to_html(question.explanation))
    return item


def _canvas_type(question: QuizQuestion) -> str:
    return MATCHING if isinstance(question, PairedQuestion) else QUESTION_TYPES[question.type]


def _responses(
    question: QuizQuestion, ident: str, presentation: ET.Element, processing: ET.Element
) -> list[str]:
    """Add the response widgets and their scoring; return the answer idents."""
    if isinstance(question, FillInBlankQuestion):
        response = ET.SubElement(
            presentation, "response_str", ident="response1", rcardinality="Single"
        )
        ET.SubElement(
            ET.SubElement(response, "render_fib"), "response_label", ident=f"{ident}_answer"
        )
        # Canvas reads several varequal in one conditionvar as alternatives.
        condition = _score(processing, "100", continue_="No")
        for answer in question.accepted_answers:
            _varequal(condition, "response1", " ".join(clean(answer).split()))
        return []
    if isinstance(question, PairedQuestion):
        return _matching(question, ident, presentation, processing)
    choices = _choices(question, ident)
    cardinality = "Multiple" if question.type == "mca" else "Single"
    response = ET.SubElement(
        presentation, "response_lid", ident="response1", rcardinality=cardinality
    )
    render = ET.SubElement(response, "render_choice")
    for choice_ident, html_text, _ in choices:
        _mattext(ET.SubElement(render, "response_label", ident=choice_ident), html_text)
    condition = _score(processing, "100", continue_="No")
    if cardinality == "Multiple":
        # All right boxes ticked and no wrong one; Canvas applies its own partial credit on top.
        condition = ET.SubElement(condition, "and")
    for choice_ident, _, correct in choices:
        if correct:
            _varequal(condition, "response1", choice_ident)
        elif cardinality == "Multiple":
            _varequal(ET.SubElement(condition, "not"), "response1", choice_ident)
    return [choice_ident for choice_ident, _, _ in choices]


def _choices(
    question: ChoiceQuestion | TrueFalseQuestion, ident: str
) -> list[tuple[str, str, bool]]:
    """(answer ident, HTML text, is correct) for each option."""
    if isinstance(question, TrueFalseQuestion):
        return [
            (f"{ident}_true", "True", question.correct_answer),
            (f"{ident}_false", "False", not question.correct_answer),
        ]
    return [
        (f"{ident}_{key}", to_html(text), key in question.correct_answer)
        for key, text in sorted(question.options.items())
    ]


def _matching(
    question: PairedQuestion,
    ident: str,
    presentation: ET.Element,
    processing: ET.Element,
) -> list[str]:
    pairs = [(clean(left), " ".join(clean(a).split())) for left, a in question.match_pairs()]
    # Every prompt offers the same distinct answers, sorted so their order gives nothing away.
    distinct = sorted({right for _, right in pairs}, key=str.casefold)
    answers = {right: f"{ident}_m{index}" for index, right in enumerate(distinct)}
    for index, ((left, right), share) in enumerate(zip(pairs, _shares(len(pairs)), strict=True)):
        response_ident = f"response_{ident}_{index}"
        response = ET.SubElement(presentation, "response_lid", ident=response_ident)
        _mattext(response, left, texttype="text/plain")
        render = ET.SubElement(response, "render_choice")
        for text, answer_ident in answers.items():
            _mattext(
                ET.SubElement(render, "response_label", ident=answer_ident), text, "text/plain"
            )
        # QTI 1.2 stops at the first condition that holds unless it says continue="Yes" (the
        # default is "No"): without it, tools other than Canvas score one pair and stop.
        condition = _score(processing, share, continue_="Yes", action="Add")
        _varequal(condition, response_ident, answers[right])
    return list(answers.values())


def _shares(count: int) -> list[str]:
    """``count`` scores in hundredths that add up to exactly 100 (33.34 + 33.33 + 33.33)."""
    base, extra = divmod(10_000, count)
    return [f"{(base + (index < extra)) / 100:.2f}" for index in range(count)]


def _score(processing: ET.Element, value: str, continue_: str, action: str = "Set") -> ET.Element:
    """Append a respcondition that sets (or adds to) SCORE; return its empty conditionvar."""
    condition = ET.SubElement(processing, "respcondition", {"continue": continue_})
    conditionvar = ET.SubElement(condition, "conditionvar")
    ET.SubElement(condition, "setvar", action=action, varname="SCORE").text = value
    return conditionvar


def _varequal(parent: ET.Element, respident: str, value: str) -> None:
    ET.SubElement(parent, "varequal", respident=respident).text = value


def _mattext(parent: ET.Element, text: str, texttype: str = "text/html") -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", texttype=texttype).text = text


def _manifest(ident: str, resources: list[tuple[str, str]]) -> ET.Element:
    manifest = ET.Element("manifest", identifier=ident, xmlns=MANIFEST_NS)
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    listing = ET.SubElement(manifest, "resources")
    for resource_ident, href in resources:
        resource = ET.SubElement(
            listing, "resource", identifier=resource_ident, type="imsqti_xmlv1p2"
        )
        ET.SubElement(resource, "file", href=href)
    return manifest


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
