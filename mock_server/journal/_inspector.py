"""The journal over HTTP, under ``/__mock/``: its JSON API and the live inspector page.

``GET /__mock/requests`` lists exchanges newest first (filters: ``status``, ``verdict``,
``since``, ``until``, ``method``, ``path``, ``after``, ``limit``); ``DELETE`` clears them.
``/__mock/`` is the inspector, a page whose assets ship in this package (no CDN).
The contract's operation is dispatched before these routes, so they never shadow it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from apikeys_contract import Contract

from ..common import ApiError, ErrorResponse
from ._journal import Journal, Record
from ._journal_view import Filters, view
from ._recorder import PREFIX

ASSETS = {
    "inspector.js": "text/javascript; charset=utf-8",
    "inspector.css": "text/css; charset=utf-8",
}
# The page may only load what it ships with.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "Cache-Control": "no-store",
}


def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("_inspector_assets", name).read_bytes()


def journal_routes(journal: Journal, contract: Contract) -> list[BaseRoute]:
    page = _asset("index.html")
    assets = {name: (_asset(name), media) for name, media in ASSETS.items()}

    def render(record: Record) -> dict[str, Any]:
        return view(contract, record)

    async def list_requests(request: Request) -> Response:
        try:
            filters = Filters.parse(dict(request.query_params))
        except ApiError as error:
            return ErrorResponse(error)
        found = []
        for record in journal.records():
            if not filters.match(record):
                continue
            found.append(journal.view(record, render))
            if filters.limit is not None and len(found) >= filters.limit:
                break
        return JSONResponse(
            {"size": journal.size, "stored": len(journal), "count": len(found), "requests": found}
        )

    async def clear_requests(request: Request) -> Response:
        return JSONResponse({"cleared": journal.clear()})

    async def inspector(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return ErrorResponse(ApiError(404, "not_found", "No such inspector asset."))
        return Response(found[0], media_type=found[1], headers={"Cache-Control": "no-cache"})

    routes = [
        Route(f"{PREFIX}/requests", list_requests, methods=["GET"]),
        Route(f"{PREFIX}/requests", clear_requests, methods=["DELETE"]),
        Route(f"{PREFIX}/", inspector, methods=["GET"]),
        Route(PREFIX, inspector, methods=["GET"]),
        Route(PREFIX + "/assets/{name}", asset, methods=["GET"]),
    ]
    # A contract whose operation lives under the prefix keeps its path to itself.
    return [route for route in routes if not _shadows(route, contract.path)]


def _shadows(route: Route, path: str) -> bool:
    found, _ = route.matches({"type": "http", "path": path, "method": "GET", "root_path": ""})
    return found is not Match.NONE
