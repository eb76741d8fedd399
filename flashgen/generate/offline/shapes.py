"""The sentence shapes the offline generator reads as definitions, and the words and limits that
rule a shape out: the data side of ``cards`` (which has the reading)."""

from __future__ import annotations

import re

MAX_TERM_WORDS = 5
MIN_ANSWER_WORDS = 4
MAX_ANSWER_WORDS = 60
MIN_CLOZE_WORDS = 6
MAX_CLOZE_MENTIONS = 8  # sentences of a chunk naming a term, beyond which it is no blank
RESTATED = 85  # rapidfuzz token-set similarity (0–100) at which a sentence repeats another
TERM = r"(?P<term>[^\s,;:.!?()][^,;:.!?]{0,60}?)"
END = r"(?P<definition>.+?)\s*[.!]?$"
# (language, form, pattern); the first that matches a sentence wins.
PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "en",
        "refer",
        re.compile(
            rf"^(?:(?P<article>an?|the)\s+)?{TERM}\s+(?:refers to|is defined as|denotes)\s+{END}",
            re.I,
        ),
    ),
    (
        "en",
        "is",
        re.compile(
            rf"^(?:(?P<article>an?|the)\s+)?{TERM}\s+(?P<verb>is|are)\s+"
            rf"(?P<definition>(?:an?|the|any|one of|a kind of|a type of)\s.+?)\s*[.!]?$",
            re.I,
        ),
    ),
    (
        "de",
        "refer",
        re.compile(rf"^Unter\s+(?:(?:einem|einer|dem|der|den)\s+)?{TERM}\s+versteht man\s+{END}"),
    ),
    (
        "de",
        "refer",
        re.compile(
            rf"^(?:(?P<article>Der|Die|Das|Ein|Eine)\s+)?{TERM}\s+(?:bezeichnet|bedeutet)\s+{END}"
        ),
    ),
    (
        "de",
        "is",
        re.compile(
            rf"^(?:(?P<article>Der|Die|Das|Ein|Eine)\s+)?{TERM}\s+(?P<verb>ist|sind)\s+"
            rf"(?P<definition>(?:ein|eine|einer|der|die|das|jede|jeder|jedes)\s.+?)\s*[.!]?$"
        ),
    ),
    (
        "ru",
        "is",
        re.compile(rf"^{TERM}\s*[—–-]\s+(?:это\s+)?(?P<definition>[^\W\d_].+?)\s*[.!;]?$"),
    ),
    ("en", "colon", re.compile(rf"^{TERM}\s*(?::|\s[—–=]\s)\s*{END}")),
    ("de", "colon", re.compile(rf"^{TERM}\s*(?::|\s[—–=]\s)\s*{END}")),
    # purpose: "The commit message is used to record …" / "Checked Exceptions sind für …
    # gedacht, die …"
    (
        "en",
        "used",
        re.compile(
            rf"^(?:(?P<article>an?|the)\s+)?{TERM}\s+(?P<verb>is|are)\s+used\s+"
            rf"(?P<definition>(?:to|for)\s.+?)\s*[.!]?$",
            re.I,
        ),
    ),
    (
        "de",
        "used",
        re.compile(
            rf"^(?:(?P<article>Der|Die|Das|Ein|Eine)\s+)?{TERM}\s+(?P<verb>ist|sind)\s+"
            rf"(?P<definition>für\s.+?\sgedacht\b.*?)\s*[.!]?$"
        ),
    ),
    # a named statement: "Sturtevant’s insight: The percentage of recombinants is …"
    (
        "en",
        "states",
        re.compile(
            r"^(?P<term>[A-Z][\w-]+['’]s\s+(?:insight|law|rule|principle|theorem|hypothesis"
            r"|razor|paradox|effect|idea|conjecture))\s*:\s*(?P<definition>.+?)\s*[.!]?$"
        ),
    ),
    (
        "de",
        "states",
        re.compile(
            r"^(?P<term>[A-ZÄÖÜ][\w-]+s\s+(?:Gesetz|Regel|Prinzip|Satz|Hypothese|Idee))"
            r"\s*:\s*(?P<definition>.+?)\s*[.!]?$"
        ),
    ),
    # reversed: "The smallest unit of life is called the cell." / "… nennt man Zelle."
    (
        "en",
        "called",
        re.compile(
            r"^(?P<definition>(?:an?|the)\s.+?)\s+(?:is|are)\s+(?:called|known as|termed)\s+"
            r"(?:(?P<article>an?|the)\s+)?(?P<term>[^,;:.!?()]{1,60}?)\s*[.!]?$",
            re.I,
        ),
    ),
    (
        "de",
        "called",
        re.compile(
            r"^(?P<definition>(?:Ein|Eine|Einen|Der|Die|Das|Den)\s.+?)\s+"
            r"(?:nennt man|heißt|heißen|bezeichnet man als)\s+"
            r"(?:(?P<article>der|die|das|ein|eine|einen)\s+)?(?P<term>[^,;:.!?()]{1,60}?)\s*[.!]?$"
        ),
    ),
]
# Inside a sentence: "Let's create a new file using the `touch` command, which is a quick way
# to create an empty file."
APPOSITIVE = re.compile(
    r"\b(?P<article>the|an?)\s+(?P<term>(?:[^\s,;:.!?()]+\s){0,2}[^\s,;:.!?()]+),\s+which\s+"
    r"(?P<verb>is)\s+(?P<definition>(?:an?|the)\s[^,;:!?]+?)\s*[.!]?$",
    re.I,
)
TASK = re.compile(
    r"^\w{1,3}:\s|^(?:[A-ZÄÖÜ]\w+en)\s+Sie\b|\b(?:Ich kann|I can)\b"
    r"|^(?:Name|List|Explain|Describe|State|Give|Think|Try|Nennen|Erläutern|Erklären|Beschreiben)\b"
)
# Classroom talk ("Let's use the command line to create a ____ for the experiments that we're
# going to do today"): a blank in it tests the moment, not the content.
TALK = re.compile(r"\b(?:we|we're|we'll|us|let's|our|you|your|wir|uns|unser\w*)\b", re.I)
# a German infinitive (lower case, "-en"/"-ln"/"-rn"): an instruction, not a description
INFINITIVE = re.compile(
    r"(?<![\w-])(?!(?:einen|keinen|ihren|seinen|meinen|den|denen)\b)[a-zäöüß]{3,}(?:en|ln|rn)\b"
)
# Forms whose answer is not a definition: kept out of the quiz pool of definitions.
PURPOSE, STATEMENT = "used", "states"
EXAMPLE = re.compile(
    r"\b(for example|for instance|e\.\s?g\.|such as|zum Beispiel|z\.\s?B\.|beispielsweise"
    r"|Beispiel:|например)",
    re.I,
)
MISTAKE = re.compile(
    r"\b(common mistake|a mistake|do not confuse|don't confuse|not to be confused"
    r"|misconception|pitfall|häufige[rn]? Fehler|nicht verwechseln|nicht zu verwechseln"
    r"|Vorsicht|ошибк)",
    re.I,
)
ANALOGY = re.compile(r"\b(is like|are like|just as|analogous to|think of|vergleichbar mit)\b", re.I)
USE = re.compile(
    r"\b(is used (?:to|for|in)|are used (?:to|for|in)|in practice|wird verwendet"
    r"|werden verwendet|verwendet man|nutzt man|eingesetzt)\b",
    re.I,
)
# A second definition in the same sentence ("…, and anabolism is the part that …") is cut off
# at the comma: the answer stays a complete clause about the card's term only.
SECOND_DEFINITION = re.compile(
    r",\s+(?:and|while|whereas|und|während)\s+\w+(?:\s\w+){0,3}\s+(?:is|are|ist|sind)\s"
)
VAGUE = re.compile(
    r"\b(below|following|as shown|this slide|next slide|folgende[nrs]?|unten|s\. u\.)\b"
    r"|[{};=]|\(\)"
    # an answer that leans on what came before ("The reverse process, …") means nothing alone
    r"|^(?:the (?:reverse|opposite|same|latter|former|other)|this|these|it|they|dies|diese[rs]?)\b"
    # a Russian clause that is not a description: "не ограничено", an infinitive
    r"|^(?:не|нет)\s|^[а-яё]+ть(?:ся)?\b",
    re.I,
)
LABEL_ENDINGS = frozenset(("result", "results", "takeaway", "takeaways", "conclusion"))
# "The level of biliverdin in blood is a heritable trait": a quantity of something, not a term
# fmt: off
QUANTITIES = frozenset((
    "level", "levels", "amount", "amounts", "number", "numbers", "rate", "rates", "degree",
    "percentage", "value", "values", "proportion", "size",
))
# A label with a verb is a claim, not a name ("ABM offers explanations: theories that …").
LABEL_VERBS = frozenset((
    "is", "are", "was", "has", "have", "offers", "offer", "provides", "provide", "gives",
    "give", "allows", "allow", "helps", "help", "makes", "make", "shows", "show", "needs",
    "need", "requires", "require", "uses", "use", "enables", "enable", "creates", "create",
    "means", "ist", "sind", "hat", "haben", "bietet", "bieten", "gibt", "erlaubt", "macht",
    "zeigt", "braucht",
))
# fmt: on
# An explanation that is a sentence of its own ("Implications for inheritance: When studying
# the effects of a gene, you need to …") says something about a topic; it does not define
# the label.
OWN_SENTENCE = re.compile(
    r"^(?:when|if|because|although|while|since|once|wenn|falls|weil|obwohl)\b"
    r"|\b(?:you|we|wir)\b|(?<!^)\bSie\b",
    re.I,
)
# "A git **repository** … the **staging area** (the area where git checks for file changes)":
# a bold term glossed in brackets right after it.
GLOSSED = re.compile(
    r"\*\*(?P<term>[^*\n]{2,60}?)\*\*\s*\((?P<definition>(?:the|an?|der|die|das|ein|eine)\s[^()\n]{10,200})\)"
)
SAME_ANSWER = 85  # rapidfuzz ratio at which two terms' answers are the same text
ENDS = (".", "!", "?", "…", ")", '"', "”", "“")
