"""Curl command lines that reproduce a probe, with every token replaced by an env variable."""

from __future__ import annotations

import shlex

from apikeys_contract.checks import Credential

from ._model import Probe
from ._transport import Tokens, Transport

# The variables the CLI reads tokens from; the curl lines expand the same ones.
TOKEN_VARIABLES = {
    Credential.VALID: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.MISPLACED: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.INCOMPLETE: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.QUERY_PARAMETER: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.SCHEME_LOWER_CASE: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.SCHEME_UPPER_CASE: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.SCHEME_TWO_SPACES: "APIKEYS_CONFORMANCE_TOKEN",
    Credential.FORBIDDEN: "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN",
    Credential.UNKNOWN: "APIKEYS_CONFORMANCE_UNKNOWN_TOKEN",
}
# Bodies longer than this are rebuilt by a python3 one-liner instead of spelt out.
INLINE_LIMIT = 400
MASK = "***"


def _printf(data: bytes) -> str:
    """A POSIX ``printf`` format that writes exactly ``data`` (octal escapes, ``%%``)."""
    out = []
    for byte in data:
        if byte == 0x25:  # %
            out.append("%%")
        elif byte == 0x5C:  # backslash
            out.append("\\\\")
        elif 0x20 <= byte < 0x7F and byte != 0x27:  # printable ASCII, not a single quote
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return "printf '" + "".join(out) + "'"


def _printable(data: bytes) -> bool:
    return all(0x20 <= b < 0x7F for b in data)


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


def token_variable(credential: Credential, tokens: Tokens) -> str | None:
    """The variable a reproducer reads ``credential``'s token from (None: shown as is)."""
    if credential is Credential.UNKNOWN and tokens.unknown is None:
        return None  # a generated token no target ever issued: no secret
    return TOKEN_VARIABLES.get(credential)


def _with_variable(text: str, secret: str, variable: str) -> str:
    """``text`` in shell double quotes, ``secret`` replaced by ``$variable`` (``${...}``
    where a name character follows)."""
    escaped = "".join("\\" + c if c in '\\"$`' else c for c in text)
    pieces = escaped.split(secret)
    out = pieces[0]
    for piece in pieces[1:]:
        braced = piece[:1].isalnum() or piece[:1] == "_"
        out += ("${" + variable + "}" if braced else "$" + variable) + piece
    return '"' + out + '"'


def curl_command(transport: Transport, probe: Probe) -> str:
    """A POSIX shell line that sends ``probe`` again; tokens come from environment variables."""
    variable = token_variable(probe.credential, transport.tokens)
    presented = transport.tokens.presented(probe.credential)
    secret = presented[0] if presented and variable else None
    url = transport.url_for(probe)
    shown_url = (
        _with_variable(url, secret, variable)
        if secret and variable and secret in url
        else shlex.quote(url)
    )
    parts = ["curl", "-sS", "-i", "-X", "POST", shown_url]
    for name, value in transport.headers(probe).items():
        line = f"{name}: {value}"
        basic = name.lower() == "authorization" and value[:6].lower() == "basic "
        if secret and variable and basic:
            user = "" if ":" in secret else ":"  # -u sends user-id:password, as Basic does
            if value.startswith("Basic ") and value[6:7] != " ":
                parts += ["-u", f'"{user}${{{variable}}}"']
            else:  # the scheme respelt: the same base64, written out
                scheme = value[: len(value) - len(value.split(" ")[-1])]
                encoded = f"$(printf '%s' \"{user}${{{variable}}}\" | base64 -w0)"
                parts += ["-H", f'"{name}: {scheme}{encoded}"']
        elif secret and variable and secret in line:
            parts += ["-H", _with_variable(line, secret, variable)]
        elif _printable(line.encode("utf-8", "surrogatepass")):
            parts += ["-H", shlex.quote(line)]
        else:
            parts += ["-H", f'"$({_printf(line.encode("utf-8", "surrogatepass"))})"']
    if probe.content_type is None:
        parts += ["-H", "'Content-Type:'"]  # curl would add one for --data-binary
    if _printable(probe.body):
        if len(probe.body) <= INLINE_LIMIT:
            return " ".join([*parts, "--data-binary", shlex.quote(probe.body.decode("ascii"))])
    elif len(probe.body) <= INLINE_LIMIT:
        return _printf(probe.body) + " | " + " ".join([*parts, "--data-binary", "@-"])
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
