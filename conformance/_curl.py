"""Curl command lines that reproduce a probe, with every token replaced by an env variable."""

from __future__ import annotations

import shlex

from ._model import Credential, Probe
from ._transport import Tokens, Transport

# The variables the CLI reads tokens from; the curl lines expand the same ones.
TOKEN_VARIABLES = {
    Credential.VALID: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.FORBIDDEN: "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN",
    Credential.UNKNOWN: "APIKEYS_CONFORMANCE_UNKNOWN_TOKEN",
}
# Bodies longer than this are rebuilt by a python3 one-liner instead of spelt out.
INLINE_LIMIT = 400
MASK = "***"


def _ansi_c(data: bytes) -> str:
    """Bash ``$'...'`` quoting: exact bytes, readable where they are printable ASCII."""
    out = []
    for byte in data:
        char = chr(byte)
        if char in "\\'":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def _quote_bytes(data: bytes) -> str:
    if all(0x20 <= b < 0x7F for b in data):
        return shlex.quote(data.decode("ascii"))
    return _ansi_c(data)


def _python_expression(data: bytes) -> str:
    """``data`` as a short Python bytes expression: runs of one character collapse."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return repr(data)
    parts: list[str] = []
    literal = ""
    index = 0
    while index < len(text):
        run = 1
        while index + run < len(text) and text[index + run] == text[index]:
            run += 1
        if run >= 8:
            if literal:
                parts.append(ascii(literal))
                literal = ""
            parts.append(f"{text[index]!a}*{run}")
        else:
            literal += text[index : index + run]
        index += run
    if literal:
        parts.append(ascii(literal))
    return "(" + "+".join(parts or ["''"]) + ").encode()"


def curl_command(transport: Transport, probe: Probe) -> str:
    """A shell line that sends ``probe`` again; tokens come from environment variables."""
    parts = ["curl", "-sS", "-i", "-X", "POST", shlex.quote(transport.url)]
    for name, value in transport.headers(probe).items():
        if name.lower() == "authorization" and probe.credential in TOKEN_VARIABLES:
            parts += ["-H", f'"Authorization: Bearer ${TOKEN_VARIABLES[probe.credential]}"']
        else:
            parts += ["-H", _quote_bytes(f"{name}: {value}".encode())]
    if probe.content_type is None:
        parts += ["-H", "'Content-Type:'"]  # curl would add one for --data-binary
    if len(probe.body) <= INLINE_LIMIT and b"\x00" not in probe.body:  # no NUL in shell words
        parts += ["--data-binary", _quote_bytes(probe.body)]
        return " ".join(parts)
    script = f"import sys; sys.stdout.buffer.write({_python_expression(probe.body)})"
    return f"python3 -c {_double_quote(script)} | " + " ".join([*parts, "--data-binary", "@-"])


def _double_quote(script: str) -> str:
    """Shell double quotes: Python's single-quoted literals stay readable inside."""
    if "!" in script:  # history expansion would touch it; single quotes are safe
        return shlex.quote(script)
    escaped = "".join("\\" + c if c in '\\"$`' else c for c in script)
    return f'"{escaped}"'


def mask(text: str, tokens: Tokens) -> str:
    """``text`` with every token replaced: the last guard before anything is shown."""
    for secret in sorted(tokens.secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
