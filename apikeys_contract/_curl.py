"""A request as a report shows it: a curl line that sends exactly its bytes again from a
POSIX shell, and its body as JSON can carry it.

The harness and the validation proxy both show one with each finding. Which header holds a
credential, and which environment variable stands for it, is theirs to say
(``quoted_with_variable``); writing the bytes is done here once. A body of printable ASCII
up to ``INLINE_LIMIT`` bytes is written inline; other bytes are piped in by ``printf``
with octal escapes, or beyond ``INLINE_LIMIT`` by a ``python3`` one-liner.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Sequence

# Bodies longer than this are rebuilt by a python3 one-liner instead of spelt out.
INLINE_LIMIT = 400


def curl_line(
    method: str, url: str, options: Sequence[str], body: bytes, *, content_type: bool = True
) -> str:
    """A shell line sending ``body`` to ``url`` (a shell word already quoted) with
    ``options`` (shell words: ``-H``, ``-u`` and their arguments). Without
    ``content_type``, curl's own default Content-Type for a body is suppressed."""
    parts = ["curl", "-sS", "-i", "-X", shlex.quote(method), url, *options]
    if not content_type:
        parts += ["-H", "'Content-Type:'"]  # curl would add one for --data-binary
    if _printable(body):
        if len(body) <= INLINE_LIMIT:
            return " ".join([*parts, "--data-binary", shlex.quote(body.decode("ascii"))])
    elif len(body) <= INLINE_LIMIT:
        return _printf(body) + " | " + " ".join([*parts, "--data-binary", "@-"])
    script = f"import sys; sys.stdout.buffer.write({_python_expression(body)})"
    return f"python3 -c {_double_quote(script)} | " + " ".join([*parts, "--data-binary", "@-"])


def curl_header(line: bytes) -> str:
    """The shell word for ``-H`` that sends the header ``line`` byte for byte."""
    if _printable(line):
        return shlex.quote(line.decode("ascii"))
    return f'"$({_printf(line)})"'


def quoted_with_variable(text: str, secret: str, variable: str) -> str:
    """``text`` in shell double quotes, ``secret`` replaced by ``$variable`` (``${...}``
    where a name character follows)."""
    escaped = "".join("\\" + c if c in '\\"$`' else c for c in text)
    pieces = escaped.split(secret)
    out = pieces[0]
    for piece in pieces[1:]:
        braced = piece[:1].isalnum() or piece[:1] == "_"
        out += ("${" + variable + "}" if braced else "$" + variable) + piece
    return '"' + out + '"'


def request_body_text(body: bytes) -> tuple[str, str]:
    """``body`` for a JSON report, and how to get its bytes back: ``"utf-8"`` (the text
    itself) or ``"base64"``."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


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


def _double_quote(script: str) -> str:
    """Shell double quotes: Python's single-quoted literals stay readable inside."""
    if "!" in script:  # history expansion would touch it; single quotes are safe
        return shlex.quote(script)
    escaped = "".join("\\" + c if c in '\\"$`' else c for c in script)
    return f'"{escaped}"'
