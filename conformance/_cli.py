"""The command line: parse options (each with an environment twin) and call ``run()``."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from apikeys_contract.report import (
    CoverageGateError,
    CoverageRequirement,
    Report,
    append_markdown,
    missing_coverage,
    parse_coverage_terms,
    prepare_report_path,
)

from . import reports
from ._curl import TOKEN_VARIABLES
from ._settings import DEFAULT_TIMEOUT, PROFILES, Settings, profile_named
from ._shard import WHOLE, parse_shard
from ._transport import Tokens
from .engine import Engine, selected_checks
from .errors import ConformanceError, UsageError

EXIT_CONFORMS = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2  # also: the target cannot be reached
EXIT_INTERNAL_ERROR = 3  # a bug of the harness; the reports are still written
EXIT_COVERAGE = 4  # conforms, but covered less than --require-coverage asks
ENV_PREFIX = "APIKEYS_CONFORMANCE_"
RECORDED = ("replay", "check")  # subcommands over a HAR file (``_replay``)
PROG = "apikeys-conformance"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("apikeys-contract")
    except PackageNotFoundError:
        return "unknown"


def run(
    *,
    base_url: str,
    token: str,
    forbidden_token: str | None = None,
    unknown_token: str | None = None,
    junit_xml: str | None = None,
    report_json: str | None = None,
    seed: int = 0,
    max_examples: int | None = None,
    profile: str = "default",
    timeout: float = DEFAULT_TIMEOUT,
    rate_limit: float | None = None,
    spec: str | None = None,
    strict: bool = False,
    checks: str | None = None,
    unknown_token_check: bool = True,
    shard: str | None = None,
    require_coverage: Sequence[str] = (),
    summary_md: str | None = None,
    progress: bool = True,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Check the target at ``base_url``; write the reports; return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    listener = reports.ConsoleProgress(out) if progress else None
    try:
        required = _required(require_coverage)
        summaries = _summaries(summary_md)
        for path in (junit_xml, report_json, *summaries):
            problem = prepare_report_path(path) if path else None
            if problem:
                raise UsageError(f"cannot write a report: {problem}")
        settings = Settings(
            base_url=base_url,
            tokens=Tokens(token, forbidden_token or None, unknown_token or None),
            seed=seed,
            profile=profile_named(profile),
            max_examples=max_examples,
            timeout=timeout,
            rate_limit=rate_limit,
            spec=spec,
            strict=strict,
            checks=selected_checks(checks.split(",")) if checks else None,
            unknown_token_check=unknown_token_check,
            shard=parse_shard(shard) if shard else WHOLE,
        )
        engine = Engine(settings, listener=listener) if listener else Engine(settings)
        out.write(
            f"{PROG} {_version()}: {engine.contract.method} {engine.transport.url}\n"
            f"seed {settings.seed}, profile {settings.profile.name}, "
            f"{settings.examples} examples per fuzzing phase"
            f"{'' if settings.shard.whole else f', shard {settings.shard} of them'}"
            f"{', strict' if settings.strict else ''}\n\n"
        )
        report = engine.run()
    except ConformanceError as exc:
        if listener is not None:
            listener.end_line()
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    if listener is not None:
        listener.end_line()  # a run aborted mid-phase
    hint = _token_hint(settings.tokens, report)
    return conclude(
        report,
        hint=hint,
        junit_xml=junit_xml,
        report_json=report_json,
        summaries=summaries,
        required=required,
        out=out,
        err=err,
    )


def conclude(
    report: Report,
    *,
    hint: str | None,
    junit_xml: str | None,
    report_json: str | None,
    summaries: Sequence[str] = (),
    required: Sequence[CoverageRequirement] = (),
    out: TextIO,
    err: TextIO,
) -> int:
    """Apply the coverage gate (``required``) to ``report``, show it, write its files
    (``summaries``: the Markdown summaries); the exit code it calls for."""
    if report.coverage is not None and required:
        report.coverage_required = [str(r) for r in required]
        report.coverage_missing = missing_coverage(report.coverage, required)
    out.write(reports.console_summary(report, token_hint=hint))
    if not write_reports(report, (junit_xml, report_json, summaries), err, PROG):
        return EXIT_USAGE
    if report.internal_errors:
        err.write(
            f"{PROG}: internal error: {report.internal_errors[0].summary} "
            "(a bug of the harness; the findings above stand)\n"
        )
        return EXIT_INTERNAL_ERROR
    if not report.conforms:
        return EXIT_VIOLATIONS
    if report.coverage_missing:
        err.write(
            f"{PROG}: coverage gate failed: {report.coverage_missing[0]}"
            f"{' (and more above)' if len(report.coverage_missing) > 1 else ''}\n"
        )
        return EXIT_COVERAGE
    return EXIT_CONFORMS


def write_reports(
    report: Report,
    paths: tuple[str | None, str | None, Sequence[str]],
    err: TextIO,
    prog: str,
) -> bool:
    """Write the JUnit XML, the JSON report and the Markdown summaries (``paths``, each
    optional); say in one line what could not be written, and return False then."""
    junit_xml, report_json, summaries = paths
    for path, render in ((junit_xml, reports.junit_xml), (report_json, reports.json_report)):
        if not path:
            continue
        try:
            reports.write(path, render(report))
        except OSError as exc:
            err.write(f"{prog}: error: cannot write a report: {exc}\n")
            return False
    try:
        for path in summaries:
            append_markdown(path, report)
    except OSError as exc:
        err.write(f"{prog}: error: cannot write the Markdown summary: {exc}\n")
        return False
    return True


def _summaries(summary_md: str | None) -> list[str]:
    """Where the Markdown summary goes: ``--summary-md`` and GitHub's step summary."""
    found = [summary_md, os.environ.get("GITHUB_STEP_SUMMARY")]
    return list(dict.fromkeys(path for path in found if path))


def _required(terms: Sequence[str]) -> tuple[CoverageRequirement, ...]:
    try:
        return parse_coverage_terms(terms)
    except CoverageGateError as exc:
        raise UsageError(f"--require-coverage: {exc}") from None


def _token_hint(tokens: Tokens, report: Report) -> str | None:
    """Which variables the reproducers shown read, when this environment does not set them."""
    given = {
        "APIKEYS_CONFORMANCE_TOKEN": tokens.valid,
        "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN": tokens.forbidden,
        "APIKEYS_CONFORMANCE_UNKNOWN_TOKEN": tokens.unknown,
    }
    shown = "\n".join(finding.example.curl for finding in report.findings)
    unset = [
        name
        for name in dict.fromkeys(TOKEN_VARIABLES.values())
        if given.get(name)
        and os.environ.get(name) != given[name]
        and re.search(rf"\${{?{name}\b", shown)
    ]
    if not unset:
        return None
    return (
        "The reproduce lines read tokens from the environment: export "
        + ", ".join(unset)
        + " (the tokens given as options) before running them."
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


# (flag, environment twin, type, default, help). Defaults are applied after parsing, so
# that --help never shows a value taken from the environment (a token, say).
OPTIONS: tuple[tuple[str, str, type, object, str], ...] = (
    ("--base-url", "BASE_URL", str, None, "the target's base URL, e.g. http://127.0.0.1:4010"),
    ("--token", "TOKEN", str, None, "a bearer token that may create keys"),
    ("--forbidden-token", "FORBIDDEN_TOKEN", str, None, "a valid token without permission"),
    ("--unknown-token", "UNKNOWN_TOKEN", str, None, "a well-formed token the target never issued"),
    ("--junit-xml", "JUNIT_XML", str, None, "write a JUnit XML report to PATH"),
    ("--report-json", "REPORT_JSON", str, None, "write a JSON report to PATH"),
    ("--seed", "SEED", int, 0, "seed of the generated examples"),
    (
        "--max-examples",
        "MAX_EXAMPLES",
        int,
        None,
        "examples per fuzzing phase (overrides --profile)",
    ),
    ("--profile", "PROFILE", str, "default", f"depth of the run: {', '.join(PROFILES)}"),
    ("--timeout", "TIMEOUT", float, DEFAULT_TIMEOUT, "seconds allowed for each request"),
    ("--rate-limit", "RATE_LIMIT", float, None, "at most N requests per second"),
    ("--spec", "SPEC", str, None, "the OpenAPI contract (default: the bundled one)"),
    ("--checks", "CHECKS", str, None, "run only these checks (comma-separated names)"),
    ("--shard", "SHARD", str, None, "run part I of N (e.g. 2/4); merge the reports after"),
)
METAVARS = {str: "TEXT", int: "N", float: "N"}


def _flag(env: str) -> bool:
    return os.environ.get(ENV_PREFIX + env, "").strip().lower() in ("1", "true", "yes", "on")


def add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """``options`` with their environment twins shown (their defaults are applied by
    ``_resolve``, so that --help never shows a value taken from the environment)."""
    for flag, env, kind, default, text in options:
        shown = "" if default is None else f" (default {default})"
        metavar = "PATH" if "PATH" in text or flag == "--spec" else METAVARS[kind]
        metavar = "I/N" if flag == "--shard" else metavar
        parser.add_argument(
            flag,
            type=kind,
            default=None,
            metavar=metavar,
            help=f"{text}{shown} [{ENV_PREFIX}{env}]",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Check an implementation of POST /api-keys against the contract. "
        "Recorded traffic: 'replay FILE.har' sends it again, 'check FILE.har' judges it "
        "offline (see their --help).",
        epilog="Every option has an environment twin, shown in brackets; in CI, pass the "
        "tokens that way. Exit status: 0 conforms, 1 violations, 2 usage error or "
        "unreachable target, 3 internal error of the harness (reports still written), "
        "4 conforms but covered less than --require-coverage asks. "
        f"'{PROG} merge REPORT.json...' combines the JSON reports of the shards of a run.",
    )
    add_options(parser, OPTIONS)
    parser.add_argument("--quiet", action="store_true", help="no live progress")
    parser.add_argument(
        "--strict",
        action="store_true",
        default=_flag("STRICT"),
        help="fail on behaviour the contract leaves open (a BOM ignored, a missing "
        f"Content-Type accepted...), which is otherwise a note [{ENV_PREFIX}STRICT]",
    )
    parser.add_argument(
        "--no-unknown-token-check",
        dest="unknown_token_check",
        action="store_false",
        default=not _flag("NO_UNKNOWN_TOKEN_CHECK"),
        help="do not send a never-issued token expecting 401 (for demo targets that accept "
        f"any token) [{ENV_PREFIX}NO_UNKNOWN_TOKEN_CHECK]",
    )
    parser.add_argument(
        "--require-coverage",
        action="append",
        metavar="TERMS",
        help="fail (exit 4) unless the run covered these: statuses=201,400,401,403, "
        "fields=..., constraints=all, security=all, examples=all (repeatable or "
        f"comma-joined; default: report only) [{ENV_PREFIX}REQUIRE_COVERAGE]",
    )
    parser.add_argument(
        "--summary-md",
        metavar="PATH",
        help="append a Markdown summary (verdict, findings, coverage) to PATH; also "
        f"written to $GITHUB_STEP_SUMMARY when set [{ENV_PREFIX}SUMMARY_MD]",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return parser


Option = tuple[str, str, type, object, str]


def _resolve(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    options: Sequence[Option] = OPTIONS,
    required: Sequence[str] = ("base_url", "token"),
) -> dict[str, object]:
    values: dict[str, object] = {}
    for flag, env, kind, default, _ in options:
        key = flag[2:].replace("-", "_")
        value = getattr(args, key)
        raw = os.environ.get(ENV_PREFIX + env) or None
        if value is None and raw is not None:
            try:
                value = kind(raw)
            except ValueError:
                parser.error(f"{ENV_PREFIX}{env}: invalid {kind.__name__} value {raw!r}")
        values[key] = default if value is None else value
    for name in required:
        if not values[name]:
            parser.error(f"--{name.replace('_', '-')} is required")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["merge"]:  # merge REPORT.json... (the shards of a run)
        from ._merge import main as merge

        return merge(given[1:])
    if given and given[0] in RECORDED:  # replay FILE.har, check FILE.har
        from ._replay import main as recorded

        return recorded(given)
    parser = build_parser()
    args = parser.parse_args(argv)
    values = _resolve(parser, args)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    required = args.require_coverage or [os.environ.get(ENV_PREFIX + "REQUIRE_COVERAGE", "")]
    return run(
        require_coverage=[term for term in required if term.strip()],
        summary_md=args.summary_md or os.environ.get(ENV_PREFIX + "SUMMARY_MD") or None,
        progress=not args.quiet,
        strict=args.strict,
        unknown_token_check=args.unknown_token_check,
        **values,  # type: ignore[arg-type]
    )
