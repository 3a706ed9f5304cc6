"""The contract and its documentation, served beside the operation.

``GET /openapi.json`` and ``GET /openapi.yaml`` return the contract as loaded, with
``servers`` pointing at the running mock, so a client generator can read it from there.
``GET /docs`` is Swagger UI, whose assets ship in the ``swagger-ui-bundle-v2`` package: it
works with no network (``/docs/`` redirects there). None of these paths ever shadows one of
the contract's own.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, compile_path
from swagger_ui_bundle import swagger_ui_path

from apikeys_contract import Contract

from ..common import DOCS, SPEC_JSON, SPEC_YAML, to_json

# The Swagger UI files the page loads, served under /docs/.
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      tryItOutEnabled: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      validatorUrl: null
    }});
  </script>
</body>
</html>
"""


def served_document(document: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The contract as loaded, its ``servers`` replaced by the mock answering at base_url."""
    return {**document, "servers": [{"url": base_url, "description": "This mock server"}]}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def docs_routes(contract: Contract) -> list[Route]:
    """The routes for the served contract and docs, less any the contract's path covers."""
    document = contract.document
    title = str((document.get("info") or {}).get("title", "API"))
    page = PAGE.format(title=html.escape(f"{title}: mock server"))

    async def spec_json(request: Request) -> Response:
        body = to_json(served_document(document, _base_url(request)))
        return Response(body, media_type="application/json")

    async def spec_yaml(request: Request) -> Response:
        served = served_document(document, _base_url(request))
        body = yaml.safe_dump(served, sort_keys=False, allow_unicode=True, width=100)
        return Response(body, media_type="application/yaml")

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    async def to_docs(request: Request) -> Response:
        # Relative, so that it holds under any mount point: /docs/ -> /docs. The page's
        # own links are relative to /docs, so it is not served here as well.
        return RedirectResponse("../docs", status_code=308)

    def asset(name: str) -> Route:
        async def serve(request: Request) -> Response:
            return FileResponse(str(swagger_ui_path / name))

        return Route(f"{DOCS}/{name}", serve, methods=["GET"])

    routes = [
        Route(SPEC_JSON, spec_json, methods=["GET"]),
        Route(SPEC_YAML, spec_yaml, methods=["GET"]),
        Route(DOCS, docs, methods=["GET"]),
        Route(DOCS + "/", to_docs, methods=["GET"]),
        *(asset(name) for name in ASSETS),
    ]
    contract_path = compile_path(contract.path)[0]
    return [route for route in routes if not contract_path.match(route.path)]
