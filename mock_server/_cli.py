"""The command line: parse options (each with an environment twin) and call run()."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from apikeys_contract import SpecError, load_contract

from ._app import create_app
from ._live_options import add_journal_options, add_proxy_options, journal_settings, proxy_settings
from ._protocol import contract_protocol
from ._proxy import ProxyApp
from ._proxy_settings import ProxySettings
from ._run_report import write_reports
from ._settings import Settings
from ._tokens import TokenPolicy, TokenPolicyError

EXIT_OK = 0
EXIT_STARTUP_FAILED = 1
EXIT_USAGE = 2

ENV_PREFIX = "APIKEYS_MOCK_"


def _version() -> str:
    try:
        return metadata.version("apikeys-contract")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(o.strip() for o in value.split(",") if o.strip())
    if not origins:
        raise argparse.ArgumentTypeError("give at least one origin, or *")
    return origins


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def _positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_server",
        description="Serve a mock of the API-keys contract (POST /api-keys).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog=f"Every option can also be set with an environment variable {ENV_PREFIX}<NAME>, "
        f"e.g. {ENV_PREFIX}PORT=4010.",
    )
    add = parser.add_argument
    add("--host", default=_env("HOST", "127.0.0.1"), help="interface to bind [HOST]")
    add(
        "--port",
        type=_non_negative,
        default=_env("PORT", "4010"),
        help="port to bind; 0 picks a free one [PORT]",
    )
    add(
        "--spec",
        default=_env("SPEC", None),
        help="OpenAPI file to serve (default: the bundled api-keys.yaml) [SPEC]",
    )
    add(
        "--tokens",
        default=_env("TOKENS", None),
        metavar="FILE",
        help="token policy file, YAML or JSON (default: any token may create keys, "
        "readonly-token gets 403, expired-token gets 401) [TOKENS]",
    )
    add(
        "--cors-origins",
        type=_origins,
        default=_env("CORS_ORIGINS", "*"),
        metavar="ORIGINS",
        help="comma-separated origins allowed by CORS, or * [CORS_ORIGINS]",
    )
    add(
        "--delay-ms",
        type=_non_negative,
        default=_env("DELAY_MS", "0"),
        help="delay every response by this many milliseconds [DELAY_MS]",
    )
    add(
        "--max-body-bytes",
        type=_non_negative,
        default=_env("MAX_BODY_BYTES", "1048576"),
        help="larger request bodies get a 400 [MAX_BODY_BYTES]",
    )
    add(
        "--body-timeout",
        type=_positive_seconds,
        default=_env("BODY_TIMEOUT", "10"),
        metavar="SECONDS",
        help="a body that has not fully arrived by then gets a 400 [BODY_TIMEOUT]",
    )
    add(
        "--log-level",
        default=_env("LOG_LEVEL", "info"),
        choices=["debug", "info", "warning", "error"],
        help="info logs one JSON line per request [LOG_LEVEL]",
    )
    add_journal_options(parser)
    add_proxy_options(parser)
    add("--version", action="version", version=f"%(prog)s {_version()}")
    return parser


def _fail(message: str) -> int:
    print(f"mock_server: error: {message}", file=sys.stderr)
    return EXIT_STARTUP_FAILED


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 4010,
    settings: Settings | None = None,
    log_level: str = "info",
    proxy: ProxySettings | None = None,
) -> int:
    """Load the contract, bind the socket and serve until interrupted. Returns an exit code."""
    settings = settings or Settings()
    try:
        contract = load_contract(settings.spec)
        app: ASGIApp = (
            ProxyApp(settings, proxy, contract=contract)
            if proxy
            else create_app(settings, contract=contract)  # refuses what it cannot serve
        )
    except SpecError as exc:
        return _fail(str(exc))
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # connections queue from now on, so "listening" below is true
    except OSError as exc:
        return _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except UnicodeError:
        return _fail(f"invalid host {host!r}")
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
    logging.basicConfig(level=log_level.upper(), format="%(message)s", stream=sys.stderr)
    print(
        f"mock_server {_version()}: {contract.method} {contract.path} from {contract.origin}, "
        + (f"validation proxy for {proxy.upstream}, " if proxy else "")
        + f"listening on http://{shown}:{bound_port}",
        flush=True,
    )
    config = uvicorn.Config(
        app,
        http=contract_protocol(contract.request_id_header),
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    # uvicorn re-raises SIGINT/SIGTERM once it has shut down gracefully; answered here, a
    # stop request ends the process with EXIT_OK instead of a signal death or a traceback.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: None)
    uvicorn.Server(config).run(sockets=[sock])
    if proxy and isinstance(app, ProxyApp):
        write_reports(
            app.session,
            proxy.upstream,
            strict=proxy.strict,
            report_json=proxy.report_json,
            junit_xml=proxy.junit_xml,
        )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        tokens = TokenPolicy.from_file(args.tokens) if args.tokens else TokenPolicy()
    except TokenPolicyError as exc:
        return _fail(str(exc))
    settings = Settings(
        spec=Path(args.spec) if args.spec else None,
        tokens=tokens,
        cors_origins=args.cors_origins,
        delay_ms=int(args.delay_ms),
        max_body_bytes=max(1, int(args.max_body_bytes)),
        body_timeout_s=float(args.body_timeout),
        **journal_settings(args),
    )
    proxy = proxy_settings(parser, args, tokens if args.tokens else None)
    return run(
        host=args.host,
        port=int(args.port),
        settings=settings,
        log_level=args.log_level,
        proxy=proxy,
    )
