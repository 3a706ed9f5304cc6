"""The reference target, its 201 bodies rewritten into JSON a lenient reader takes and a
strict one refuses: what the RFCs leave open, as on the request side."""

from __future__ import annotations

import json
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import Defects, create_target

Oddity = Literal["nan", "duplicate key", "utf-16"]
ODDITIES: tuple[Oddity, ...] = ("nan", "duplicate key", "utf-16")


def rewritten(body: bytes, oddity: Oddity) -> bytes:
    document = json.loads(body)
    if oddity == "nan":
        return body[:-1] + b',"score":NaN}'
    if oddity == "duplicate key":
        return b'{"name":' + json.dumps(document["name"]).encode() + b"," + body[1:]
    return body.decode("utf-8").encode("utf-16-le")


def create_odd_json_target(oddity: Oddity) -> ASGIApp:
    target = create_target(Defects())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await target(scope, receive, send)
            return
        start: Message = {}

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body = message.get("body", b"")
            if start["status"] == 201:
                body = rewritten(body, oddity)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await target(scope, receive, rewrite)

    return app
