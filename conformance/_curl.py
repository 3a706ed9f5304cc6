"""Curl command lines that reproduce a probe, with every token replaced by an env variable.

Writing the bytes (the body, a header that is not printable ASCII) is the shared layer's
(``apikeys_contract.curl_line``); here is which variable stands for which token.
"""

from __future__ import annotations

import shlex

from apikeys_contract import curl_header, curl_line, quoted_with_variable
from apikeys_contract.checks import Credential
from apikeys_contract.ledger import mask as masked

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


def token_variable(credential: Credential, tokens: Tokens) -> str | None:
    """The variable a reproducer reads ``credential``'s token from (None: shown as is)."""
    if credential is Credential.UNKNOWN and tokens.unknown is None:
        return None  # a generated token no target ever issued: no secret
    return TOKEN_VARIABLES.get(credential)


def curl_command(transport: Transport, probe: Probe) -> str:
    """A POSIX shell line that sends ``probe`` again; tokens come from environment variables."""
    variable = token_variable(probe.credential, transport.tokens)
    presented = transport.tokens.presented(probe.credential)
    secret = presented[0] if presented and variable else None
    url = transport.url_for(probe)
    shown_url = (
        quoted_with_variable(url, secret, variable)
        if secret and variable and secret in url
        else shlex.quote(url)
    )
    options: list[str] = []
    for name, value in transport.headers(probe).items():
        line = f"{name}: {value}"
        basic = name.lower() == "authorization" and value[:6].lower() == "basic "
        if secret and variable and basic:
            user = "" if ":" in secret else ":"  # -u sends user-id:password, as Basic does
            if value.startswith("Basic ") and value[6:7] != " ":
                options += ["-u", f'"{user}${{{variable}}}"']
            else:  # the scheme respelt: the same base64, written out
                scheme = value[: len(value) - len(value.split(" ")[-1])]
                encoded = f"$(printf '%s' \"{user}${{{variable}}}\" | base64 -w0)"
                options += ["-H", f'"{name}: {scheme}{encoded}"']
        elif secret and variable and secret in line:
            options += ["-H", quoted_with_variable(line, secret, variable)]
        else:
            options += ["-H", curl_header(line.encode("utf-8", "surrogatepass"))]
    return curl_line(
        transport.method,
        shown_url,
        options,
        probe.body,
        content_type=probe.content_type is not None,
    )


def mask(text: str, tokens: Tokens) -> str:
    """``text`` with every token replaced: the last guard before anything is shown."""
    return masked(text, tokens.secrets)
