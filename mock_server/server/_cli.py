"""The command line: parse options (each with an environment twin) and call run().

main() turns the options into Settings (and ProxySettings in proxy mode) and calls run();
run() builds the app of the mode (the mock, or the validation proxy), binds the socket and
serves it, in this process or in forked workers.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from importlib import metadata, resources
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import uvicorn
from starlette.types import ASGIApp

from apikeys_contract import BUNDLED_SPEC, Contract, SpecError, load_contract

from ..common import ACCESS_LOGGER, LogSink, RequestLog
from ..mock import Settings, TokenPolicy, TokenPolicyError, create_app
from ..proxy import ProxyApp, ProxySettings, write_reports
from ._argtypes import MAX_PORT, boolean, non_negative, origins, port, positive, positive_seconds
from ._fault_options import add_fault_options, fault_settings, report_injected
from ._live_options import add_journal_options, add_proxy_options, journal_settings, proxy_settings
from ._protocol import contract_protocol
from ._watch import ReloadingApp
from ._workers import serve_in_workers

EXIT_OK = 0
EXIT_STARTUP_FAILED = 1
EXIT_USAGE = 2

ENV_PREFIX = "APIKEYS_MOCK_"
# How the command was run, for --help and --version: the console script, or the module.
MODULE_COMMAND = "python -m mock_server"
SCRIPT_COMMAND = "apikeys-mock"
LOGGED_LEVELS = ("debug", "info")  # levels at which each request gets its JSON line
GRACE_S = 10  # in-flight requests get this long to finish on a stop signal


def _version() -> str:
    try:
        return metadata.version("apikeys-contract")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _is_flag(action: argparse.Action) -> bool:
    """An option that takes no value: its environment twin says true or false."""
    return isinstance(action, argparse.BooleanOptionalAction) or (
        action.nargs == 0 and isinstance(action.const, bool)
    )


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line; a bad environment twin is named as the variable."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: None = None
    ) -> argparse.Namespace:
        argv = list(sys.argv[1:] if args is None else args)
        for action in self._actions:
            self._apply_environment(action, argv)
        return super().parse_args(argv, namespace)

    def _apply_environment(self, action: argparse.Action, argv: list[str]) -> None:
        # An option given on the command line wins over its twin ENV_PREFIX + NAME.
        flags = action.option_strings
        variable = ENV_PREFIX + action.dest.upper()
        value = os.environ.get(variable)
        if value is None or not flags or action.dest in ("help", "version"):
            return
        if any(arg == f or arg.startswith(f + "=") for arg in argv for f in flags):
            return
        convert: Any = boolean if _is_flag(action) else action.type
        try:
            converted = convert(value) if convert is not None else value
        except (argparse.ArgumentTypeError, ValueError) as exc:
            self.error(f"{variable}: {exc}")
        if action.choices is not None and converted not in action.choices:
            choices = ", ".join(map(str, action.choices))
            self.error(f"{variable}: {value[:40]!r} is not one of {choices}")
        action.default = converted


def build_parser(prog: str = MODULE_COMMAND) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        allow_abbrev=False,
        description="Serve a mock of the API-keys contract (POST /api-keys).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog=f"Every option can also be set with an environment variable {ENV_PREFIX}<NAME>, "
        f"e.g. {ENV_PREFIX}PORT=4010.",
    )
    _add_mock_options(parser)
    add_journal_options(parser)
    add_proxy_options(parser)
    add_fault_options(parser)
    # Another group of options: add_<group>_options(parser) from the group's module here,
    # and what it sets passed on in _settings() below.
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return parser


def _add_mock_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind [HOST]")
    add(
        "--port",
        type=port,
        default="4010",
        help="port to bind; 0 picks a free one [PORT]",
    )
    add(
        "--spec",
        default=None,
        help="OpenAPI file to serve (default: the bundled api-keys.yaml) [SPEC]",
    )
    add(
        "--tokens",
        default=None,
        metavar="FILE",
        help="token policy file, YAML or JSON (default: any token may create keys, "
        "readonly-token gets 403, expired-token gets 401) [TOKENS]",
    )
    add(
        "--cors-origins",
        type=origins,
        default="*",
        metavar="ORIGINS",
        help="comma-separated origins allowed by CORS, or * [CORS_ORIGINS]",
    )
    add(
        "--delay-ms",
        type=non_negative,
        default="0",
        help="delay every response by this many milliseconds [DELAY_MS]",
    )
    add(
        "--max-body-bytes",
        type=positive,
        default="1048576",
        help="larger request bodies get a 400 [MAX_BODY_BYTES]",
    )
    add(
        "--body-timeout",
        type=positive_seconds,
        default="10",
        metavar="SECONDS",
        help="a body that has not fully arrived by then gets a 400 [BODY_TIMEOUT]",
    )
    add(
        "--watch",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="reload the contract when its file changes; a broken edit keeps the last "
        "good one [WATCH]",
    )
    add(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the contract at /openapi.json and /openapi.yaml and its docs at /docs, "
        "unless the contract has those paths [DOCS]",
    )
    add(
        "--workers",
        type=positive,
        default="1",
        help="server processes sharing the port, each with the full behaviour [WORKERS]",
    )
    add(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="info logs one JSON line per request [LOG_LEVEL]",
    )


def _fail(message: str) -> int:
    print(f"mock_server: error: {message}", file=sys.stderr)
    return EXIT_STARTUP_FAILED


def _request_log(log_level: str) -> LogSink | None:
    """JSON lines on stderr, written in batches by a thread of their own."""
    if log_level not in LOGGED_LEVELS:
        return None
    try:
        return RequestLog(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # a stderr replaced by one without a file
        return ACCESS_LOGGER


class _StartupFailed(Exception):
    """Why the server cannot start: one line on stderr, and EXIT_STARTUP_FAILED."""


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 4010,
    settings: Settings | None = None,
    log_level: str = "info",
    watch: bool = False,
    workers: int = 1,
    proxy: ProxySettings | None = None,
) -> int:
    """Load the contract, bind the socket and serve until interrupted. Returns an exit code.

    With ``watch``, the contract file is reloaded whenever it changes.
    """
    settings = settings or Settings()
    if workers < 1:
        raise ValueError("workers must be >= 1")
    try:
        watched = _watched(settings, watch=watch, workers=workers, proxy=proxy)
        request_log = _request_log(log_level)
        contract, app = _app(settings, watched, proxy, request_log)
        sock = _listen(host, port)
    except _StartupFailed as exc:
        return _fail(str(exc))
    logging.basicConfig(level=log_level.upper(), format="%(message)s", stream=sys.stderr)
    _announce(contract, sock, proxy, workers)
    config = _config(app, contract, request_log, log_level, proxied=proxy is not None)

    def serve() -> int:
        _serve(config, sock, request_log)
        report_injected(app)  # what --chaos, --rate-limit and Prefer: fault= injected
        if proxy is not None and isinstance(app, ProxyApp):
            _report(app, proxy)
        return EXIT_OK

    # Everything built so far (modules, the compiled contract, the app) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it under load
    # (about 8% of the 400 path's time), and forked workers keep sharing its pages.
    gc.freeze()
    if workers == 1:
        return serve()
    return serve_in_workers(workers, serve, listener=sock, grace_s=GRACE_S)


def _watched(
    settings: Settings, *, watch: bool, workers: int, proxy: ProxySettings | None
) -> Path | None:
    """The contract file to reload (with --watch); refuses what cannot run together."""
    watched = _watched_file(settings) if watch else None
    if watch and watched is None:
        raise _StartupFailed("--watch needs a contract file: give --spec FILE")
    if watched is not None and workers > 1:
        raise _StartupFailed("--watch reloads one process: use it without --workers")
    if proxy is not None and (workers > 1 or watched is not None):
        raise _StartupFailed(
            "--proxy runs one process with one session: drop --workers and --watch"
        )
    return watched


def _app(
    settings: Settings,
    watched: Path | None,
    proxy: ProxySettings | None,
    request_log: LogSink | None,
) -> tuple[Contract, ASGIApp]:
    """The contract, and the app of the mode: the validation proxy, or the mock."""
    try:
        contract = load_contract(watched or settings.spec)
        # create_app refuses what it cannot serve
        if proxy is not None:
            return contract, ProxyApp(settings, proxy, contract=contract)
        return contract, _mock_app(settings, contract, request_log, watched)
    except SpecError as exc:
        raise _StartupFailed(str(exc)) from None


def _mock_app(
    settings: Settings, contract: Contract, request_log: LogSink | None, watched: Path | None
) -> ASGIApp:
    """The mock; with a watched file, one that rebuilds it on each good edit of the file."""
    app = create_app(settings, contract=contract, request_log=request_log)
    if watched is None:
        return app
    return ReloadingApp(
        watched,
        lambda new: create_app(settings, contract=new, request_log=request_log),
        app,
    )


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening: connections queue from now on."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        raise _StartupFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except OverflowError:
        raise _StartupFailed(
            f"cannot listen on {host}:{port}: not a port number (0 to {MAX_PORT})"
        ) from None
    except UnicodeError:
        raise _StartupFailed(f"invalid host {host!r}") from None
    return sock


def _announce(
    contract: Contract, sock: socket.socket, proxy: ProxySettings | None, workers: int
) -> None:
    """The start-up line: what is served, from where, and where it listens (true by now)."""
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if sock.family == socket.AF_INET6 else bound_host
    print(
        f"mock_server {_version()}: {contract.method} {contract.path} from {contract.origin}, "
        + (f"validation proxy for {proxy.upstream}, " if proxy else "")
        + f"listening on http://{shown}:{bound_port}"
        + (f" with {workers} worker processes" if workers > 1 else ""),
        flush=True,
    )


def _config(
    app: ASGIApp,
    contract: Contract,
    request_log: LogSink | None,
    log_level: str,
    *,
    proxied: bool,
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=contract_protocol(contract.request_id_header, request_log),
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACE_S,
        # The proxy passes the upstream's answer on as it came: uvicorn's own Server and
        # Date would stand beside the upstream's.
        server_header=not proxied,
        date_header=not proxied,
    )


def _serve(config: uvicorn.Config, sock: socket.socket, request_log: LogSink | None) -> None:
    """Serve on the listening socket until a stop signal, then write the last log lines."""
    server = uvicorn.Server(config)
    reloading = config.app if isinstance(config.app, ReloadingApp) else None

    # uvicorn re-raises SIGINT/SIGTERM once it has shut down gracefully; answered here, a
    # stop request ends the process with EXIT_OK instead of a signal death or a traceback.
    # One that comes before uvicorn listens for signals stops it at once.
    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))
    if reloading is not None:
        reloading.start()
    try:
        server.run(sockets=[sock])
    finally:
        if reloading is not None:
            reloading.stop()
        if isinstance(request_log, RequestLog):
            request_log.close()  # every line of the requests answered, also on SIGTERM


def _report(app: ProxyApp, proxy: ProxySettings) -> None:
    """The proxy's report files (--report-json, --junit-xml), written once it has stopped."""
    write_reports(
        app.session,
        proxy.upstream,
        strict=proxy.strict,
        report_json=proxy.report_json,
        junit_xml=proxy.junit_xml,
    )


def _watched_file(settings: Settings) -> Path | None:
    """The contract file to watch: --spec, or the bundled one when it is a plain file."""
    if settings.spec is not None:
        return Path(settings.spec)
    bundled = resources.files("apikeys_contract") / "openapi" / BUNDLED_SPEC
    return bundled if isinstance(bundled, Path) and bundled.is_file() else None


def _command(argv: Sequence[str] | None) -> str:
    """The command as it was run: ``apikeys-mock`` or ``python -m mock_server``."""
    if argv is not None:
        return SCRIPT_COMMAND
    name = Path(sys.argv[0]).name
    return MODULE_COMMAND if name in ("__main__.py", "-m", "") else name


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    parser = build_parser(prog or _command(argv))
    args = parser.parse_args(argv)
    try:
        tokens = TokenPolicy.from_file(args.tokens) if args.tokens else None
    except TokenPolicyError as exc:
        return _fail(str(exc))
    return run(
        host=args.host,
        port=int(args.port),
        settings=_settings(parser, args, tokens),
        log_level=args.log_level,
        watch=bool(args.watch),
        workers=int(args.workers),
        proxy=proxy_settings(parser, args, tokens),  # None: the mock
    )


def _settings(
    parser: argparse.ArgumentParser, args: argparse.Namespace, tokens: TokenPolicy | None
) -> Settings:
    """The mock's settings from the parsed options, each group's included."""
    return Settings(
        spec=Path(args.spec) if args.spec else None,
        tokens=tokens if tokens is not None else TokenPolicy(),
        cors_origins=args.cors_origins,
        delay_ms=int(args.delay_ms),
        max_body_bytes=int(args.max_body_bytes),
        body_timeout_s=float(args.body_timeout),
        docs=bool(args.docs),
        **journal_settings(args),
        **fault_settings(parser, args),
    )
