"""POST /api-keys with Python's standard library only, the way a small team writes it.

    python tests/peers/stdlib_server.py --port 0 --tokens good --forbidden ro [--defect NAME]

``http.server`` + ``json``: the body goes to ``json.loads`` as raw bytes (checked first to
be well-formed in the encoding ``json`` detects: ``json.loads`` alone decodes with
``'surrogatepass'``, the ``surrogatepass`` defect) and the answer
comes from ``json.dumps`` with its defaults. So, like most Python services, it accepts
what the contract leaves open: a UTF-8 byte order mark, UTF-16 and UTF-32 bodies, ``NaN``,
duplicate keys (the last one wins) and lone surrogate escapes, which it echoes back as
``"\\ud800"``. Otherwise it conforms. Like any team's code it states the contract's rules
itself (1 to 100 code points, at least one character outside ECMA-262's ``\\s``); it does
not read the spec.

``--defect`` switches on a bug a team really makes (see ``DEFECTS``).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import string
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_LENGTH = 100
# ECMA-262 WhiteSpace and LineTerminator: what `\s` matches in the contract's pattern.
# Python's `str.isspace` and `re` `\s` differ: they include U+001C..U+001F and U+0085
# and leave out U+FEFF.
ECMA_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NON_SPACE = re.compile("[^" + re.escape(ECMA_WHITESPACE) + "]")
PYTHON_NON_SPACE = re.compile(r"\S")

DEFECTS = {
    "strip-length": "counts the length after stripping surrounding whitespace",
    "python-whitespace": "tests the pattern with Python's re \\S, not ECMA-262's",
    "no-type-check": "no isinstance check: a non-string name crashes into a 500",
    "surrogatepass": "json.loads on the raw bytes as it comes: CPython decodes them with "
    "'surrogatepass', so a surrogate encoded in UTF-8 (not UTF-8, RFC 3629) is read",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad_request(message: str, code: str = "invalid_request") -> ApiError:
    return ApiError(400, code, message)


class Config:
    def __init__(self, tokens: set[str], forbidden: set[str], defects: set[str]) -> None:
        self.tokens, self.forbidden, self.defects = tokens, forbidden, defects


def authenticate(header: str | None, config: Config) -> None:
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "invalid_token", "Missing bearer token in the Authorization header.")
    if token in config.forbidden:
        raise ApiError(403, "permission_denied", "This token may not create API keys.")
    if token not in config.tokens:
        raise ApiError(401, "invalid_token", "The access token is invalid or expired.")


def parse(body: bytes, content_type: str | None, defects: set[str]) -> Any:
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise bad_request("Content-Type must be application/json", "unsupported_media_type")
    try:
        if "surrogatepass" not in defects:
            body.decode(json.detect_encoding(body))  # strictly: json.loads would not
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        message = f"Request body is not valid JSON: {type(exc).__name__}"
        raise bad_request(message, "malformed_json") from exc


def validate_name(document: Any, defects: set[str]) -> str:
    if not isinstance(document, dict) or "name" not in document:
        raise bad_request("name is required")
    name: str = document["name"]  # what the team assumes; the next line makes sure
    if not isinstance(name, str) and "no-type-check" not in defects:
        raise bad_request("name must be a string")
    counted = name.strip(string.whitespace) if "strip-length" in defects else name
    if not 1 <= len(counted) <= MAX_LENGTH:
        raise bad_request(f"name must be 1 to {MAX_LENGTH} characters long")
    pattern = PYTHON_NON_SPACE if "python-whitespace" in defects else NON_SPACE
    if pattern.search(name) is None:
        raise bad_request("name must not be blank")
    return name


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_version = "stdlib-peer"
    config: Config

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests drain stdout; a request line is not worth printing

    def send_json(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, error: ApiError) -> None:
        self.send_json(error.status, {"code": error.code, "message": error.message})

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_POST(self) -> None:
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.send_error_json(bad_request("invalid Content-Length"))
            return
        try:
            if self.path.split("?")[0] != "/api-keys":
                raise ApiError(404, "not_found", "No such resource.")
            authenticate(self.headers.get("Authorization"), self.config)
            document = parse(body, self.headers.get("Content-Type"), self.config.defects)
            name = validate_name(document, self.config.defects)
            key = {"name": name, "clientId": str(uuid.uuid4())}
            key["clientSecret"] = secrets.token_urlsafe(32)
            self.send_json(201, key)
        except ApiError as error:
            self.send_error_json(error)
        except Exception:
            self.send_error_json(ApiError(500, "internal_error", "Something went wrong."))

    def not_allowed(self) -> None:
        self.read_body()
        self.send_error_json(ApiError(405, "method_not_allowed", "Use POST."))

    do_GET = do_PUT = do_PATCH = do_DELETE = not_allowed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tokens", action="append", default=[], help="comma-separated")
    parser.add_argument("--forbidden", action="append", default=[], help="comma-separated")
    parser.add_argument("--defect", action="append", default=[], choices=sorted(DEFECTS))
    args = parser.parse_args(argv)

    def tokens(values: list[str]) -> set[str]:
        return {t for value in values for t in value.split(",") if t}

    Handler.config = Config(tokens(args.tokens), tokens(args.forbidden), set(args.defect))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
