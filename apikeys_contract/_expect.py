"""What a request body calls for, judged by the contract alone: success, 400, or either.

One rule for the mock (which renders the problems as its 400), the conformance harness
(which labels probes by their cause and judges answers) and any proxy. Where the contract
and the RFCs leave the choice to the implementation (a byte order mark, a missing
``Content-Type``, duplicate keys, lone surrogates...) both answers are allowed and the
verdict says why in ``leniency``. ``judge_body`` never raises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._json import LENIENT, JsonIssue, lenient_documents, read_json, replace_surrogates
from ._media import LENIENT_MEDIA, MediaMatch, base_media_type, match_media_type
from ._problems import Problem, schema_problems

if TYPE_CHECKING:
    from ._contract import Contract


class Answer(enum.Enum):
    SUCCESS = "the success status"
    INVALID = "400, invalid input"


SUCCESS_ONLY = frozenset({Answer.SUCCESS})
INVALID_ONLY = frozenset({Answer.INVALID})
EITHER = frozenset({Answer.SUCCESS, Answer.INVALID})


@dataclass(frozen=True)
class BodyVerdict:
    """The answers the contract allows for a body, and why.

    ``cause`` names what decides the verdict (a label to group findings by), ``problems``
    what the request schema says, ``leniency`` what the contract leaves open (set only when
    success is allowed although a strict reader refuses the body), ``document`` what a
    success answer must be built from (the strict document, or the lenient reading).
    """

    answers: frozenset[Answer]
    cause: str
    problems: tuple[Problem, ...] = ()
    leniency: str | None = None
    documents: tuple[Any, ...] = field(default=(), compare=False)
    readings: tuple[Any, ...] = field(default=(), compare=False)
    issue: JsonIssue | None = None
    media: MediaMatch = MediaMatch.SAME


def describe(problem: Problem) -> str:
    """A short label for a schema problem: what is wrong, and where."""
    where = problem.pointer or "body"
    match problem.keyword:
        case "required":
            return f"missing {where}"
        case "type":
            return f"{where} of the wrong type" if problem.pointer else "non-object body"
        case "pattern":
            return f"{where} failing its pattern"
        case "maxLength" | "maxItems" | "maxProperties" | "maximum" | "exclusiveMaximum":
            return f"{where} over {problem.keyword}"
        case "minLength" | "minItems" | "minProperties" | "minimum" | "exclusiveMinimum":
            return f"{where} under {problem.keyword}"
        case "unicode":
            return f"{where} holding a lone surrogate"
        case "depth":
            return "body nested too deeply"
        case _:
            return f"{where} breaking {problem.keyword}"


def _format_problems(contract: Contract, document: Any) -> tuple[Problem, ...]:
    validator = contract.validator(contract.request_schema_pointer, formats=True)
    return tuple(p for p in schema_problems(validator, document) if p.keyword == "format")


def _problems_of(contract: Contract, document: Any) -> tuple[Problem, ...]:
    return schema_problems(contract.request_validator, document)


def judge_body(contract: Contract, body: bytes, content_type: str | None) -> BodyVerdict:
    """The answers the contract allows for ``body`` sent with ``content_type``."""
    try:
        return _judge(contract, body, content_type)
    except Exception as exc:
        return BodyVerdict(EITHER, f"body the harness could not judge ({type(exc).__name__})")


def _judge(contract: Contract, body: bytes, content_type: str | None) -> BodyVerdict:
    media = match_media_type(content_type, contract.request_media_type)
    if media is MediaMatch.OTHER:
        shown = base_media_type(content_type)
        return BodyVerdict(INVALID_ONLY, f"another media type ({shown})", media=media)
    verdict = _judge_json(contract, body)
    if media in LENIENT_MEDIA and Answer.SUCCESS in verdict.answers:
        leniency = media.value + (f"; {verdict.leniency}" if verdict.leniency else "")
        return BodyVerdict(
            EITHER, f"{verdict.cause}, {media.value}", verdict.problems, leniency,
            verdict.documents, verdict.readings, verdict.issue, media,
        )  # fmt: skip
    return verdict


def _judge_json(contract: Contract, body: bytes) -> BodyVerdict:
    reading = read_json(body)
    if reading.ok:
        problems = _problems_of(contract, reading.document)
        if not problems:
            formats = _format_problems(contract, reading.document)
            if formats:
                # JSON Schema 2020-12: format is an annotation unless a vocabulary asserts it.
                what = f"{formats[0].pointer or 'body'} breaking its format"
                return BodyVerdict(
                    EITHER, what, formats, f"{what} (an annotation in JSON Schema 2020-12)",
                    (reading.document,), (reading.document,),
                )  # fmt: skip
            return BodyVerdict(
                SUCCESS_ONLY, "valid body", documents=(reading.document,),
                readings=(reading.document,),
            )  # fmt: skip
        return BodyVerdict(
            INVALID_ONLY, describe(problems[0]), problems, readings=(reading.document,)
        )
    issue = reading.issue
    assert issue is not None
    if issue not in LENIENT:
        cause = "malformed JSON" if issue is JsonIssue.SYNTAX else f"malformed JSON: {issue.value}"
        return BodyVerdict(INVALID_ONLY, cause, issue=issue)
    documents = lenient_documents(body)
    if issue is JsonIssue.LONE_SURROGATE:
        # Kept as the escape said (Python, JavaScript) or replaced by U+FFFD (Go): both
        # are what RFC 8259 section 8.2 allows, so an echo of either is the value sent.
        documents = (reading.document, replace_surrogates(reading.document), *documents)
    valid = [doc for doc in documents if not _problems_of(contract, doc)]
    if valid:
        return BodyVerdict(EITHER, issue.value, (), issue.value, tuple(valid), documents, issue)
    problems = _problems_of(contract, documents[0]) if documents else ()
    cause = describe(problems[0]) + f" ({issue.value})" if problems else issue.value
    return BodyVerdict(INVALID_ONLY, cause, problems, readings=documents, issue=issue)
