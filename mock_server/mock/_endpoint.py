"""The operation itself (POST /api-keys, or whatever the spec names), as an ASGI app.

It reads the scope directly rather than through ``Request``: the hot path of a mock that
must outrun Prism. ``answer`` returns the whole response as a ``PreparedResponse``; every
refusal is an ApiError rendered in one place, ``refuse``, but for the commonest, a body the
schema refuses, which ``schema_refusal`` returns as a plain ``Refusal`` for ``json_answer``.
What is not a refusal propagates to the request path (``_request_path``): a client that
went away (``ClientDisconnected``), and a bug, which it answers with the one 500.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Receive, Scope, Send

from apikeys_contract import Contract, schema_problems

from ..common import (
    JSON,
    REQUEST_BODY,
    ApiError,
    ClientDisconnected,
    PreparedResponse,
    RequestHeaders,
    error_answer,
    json_answer,
    send_answer,
)
from ._deadline import Deadlines
from ._prefer import Forced, forced_response
from ._responses import SuccessPlan, forced_error, preference_applied, status_headers
from ._settings import Settings
from ._tokens import Authenticator
from ._validation import (
    Refusal,
    check_declared_length,
    check_media_type,
    parse_json,
    read_body,
    schema_refusal,
    too_slow,
)


class Endpoint:
    def __init__(self, contract: Contract, settings: Settings) -> None:
        self.contract = contract
        self.settings = settings
        self.validator = contract.request_validator
        self.plan = SuccessPlan.from_contract(contract)
        self.media_type = self.plan.media_type
        self.error_media_types = {
            status: response.media_type
            for status, response in contract.responses.items()
            if response.media_type is not None
        }
        self.deadlines = Deadlines(settings.body_timeout_s)
        self.auth = Authenticator(contract, settings.tokens)
        # Headers the contract requires on each status, beyond the request id.
        self.status_headers = status_headers(contract)
        if 401 in self.status_headers:  # every 401, forced ones too, names the scheme
            self.status_headers[401].update(self.auth.challenge)
        self.success_headers = self.status_headers[self.plan.status] or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_answer(send, await self.answer(scope, receive))

    async def answer(
        self, scope: Scope, receive: Receive, headers: RequestHeaders | None = None
    ) -> PreparedResponse:
        """The whole response to one request: a success, or an ApiError rendered.
        ``headers``: the request's, when the caller has read them already. Raises
        ClientDisconnected when there is no one to answer, and whatever a bug raises.

        A body the schema refuses is the commonest refusal, so it comes back as a value
        (``schema_refusal``) rather than raised: raising costs a tenth of a 400, and
        building the ApiError at all another sixth.
        """
        try:
            if headers is None:
                headers = RequestHeaders.from_scope(scope)
            try:
                forced = forced_response(self.contract, headers.prefer)
            except ApiError:
                await self.keep_body(scope, headers, receive)
                raise
            if forced is not None:
                body = await self.forced(scope, headers, receive, forced)
                extra = {**self.status_headers[forced.status], **preference_applied(forced)}
                return json_answer(forced.status, body, media_type=self.media_type, headers=extra)
            if self.auth.active:
                self.auth.check(scope, headers.authorization)
            document = await self.document(scope, headers, receive)
            problems = schema_problems(self.validator, document)  # () at once when valid
            if problems:
                return self.refused(schema_refusal(problems))
            return json_answer(
                self.plan.status,
                self.plan.body(document),
                media_type=self.media_type,
                headers=self.success_headers,
            )
        except ClientDisconnected:
            raise
        except ApiError as error:
            return self.refuse(error)

    def failed(self) -> PreparedResponse:
        """The one answer to a bug: the contract's 500, in its error shape."""
        return self.refuse(ApiError(500, "internal_error", "The mock server failed unexpectedly."))

    def refused(self, refusal: Refusal) -> PreparedResponse:
        """``refuse`` for a refusal given as plain data."""
        status = refusal.status
        answer = json_answer(
            status,
            refusal.body,
            media_type=self.error_media_types.get(status, JSON),
            headers=self.status_headers.get(status),
        )
        answer.rule = refusal.rule.value
        return answer

    def refuse(self, error: ApiError) -> PreparedResponse:
        required = self.status_headers.get(error.status)
        if required:
            error.headers = {**required, **error.headers}
        return error_answer(error, self.error_media_types.get(error.status, JSON))

    async def document(self, scope: Scope, headers: RequestHeaders, receive: Receive) -> Any:
        """The request's JSON document, not yet validated; ApiError(400) if there is none."""
        check_media_type(headers.content_type, self.contract.request_media_type)
        return parse_json(await self.body(scope, headers, receive))

    async def body(self, scope: Scope, headers: RequestHeaders, receive: Receive) -> bytes:
        """The request's body, whole, left in the scope for the journal; ApiError(400) when
        it is too large or too slow to arrive."""
        limit = self.settings.max_body_bytes
        check_declared_length(headers.content_length, limit)
        deadlines = self.deadlines
        task = deadlines.arm()
        try:
            raw = await read_body(receive, limit)
        except asyncio.CancelledError:
            if deadlines.expired(task):
                raise too_slow(self.settings.body_timeout_s) from None
            raise
        finally:
            deadlines.disarm(task)
        scope[REQUEST_BODY] = raw  # for the journal
        return raw

    async def keep_body(self, scope: Scope, headers: RequestHeaders, receive: Receive) -> None:
        """Read the body of a request answered without it (a Prefer header decided), so that
        the journal shows what was sent; the answer does not depend on it."""
        try:
            await self.body(scope, headers, receive)
        except ClientDisconnected:
            raise
        except ApiError:
            pass

    async def forced(
        self, scope: Scope, headers: RequestHeaders, receive: Receive, forced: Forced
    ) -> Any:
        if forced.status != self.plan.status:
            await self.keep_body(scope, headers, receive)
            raise forced_error(self.contract, forced)
        try:
            raw = await self.body(scope, headers, receive)  # first: the journal shows it
            check_media_type(headers.content_type, self.contract.request_media_type)
            document = parse_json(raw)
        except ClientDisconnected:
            raise
        except ApiError:
            document = None  # a forced success still answers; it echoes only a valid request
        else:
            if schema_problems(self.validator, document):
                document = None
        return self.plan.forced(forced, document)
