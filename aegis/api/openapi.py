"""The OpenAPI document of the REST surface, served at ``GET /openapi.json``.

The document is generated from the same google.api.http rules the transcoder serves
(scripts/gen_openapi.sh, `make generate`) and ships inside the package, so the server hands
out exactly the committed file that the tests check against the live surface.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["OPENAPI_PATH", "openapi_document", "openapi_route"]

OPENAPI_PATH = "/openapi.json"


def openapi_document() -> bytes:
    return resources.files(__package__).joinpath("openapi.json").read_bytes()


def openapi_route() -> Route:
    """Read once when the route is built: a missing file stops the server from starting."""
    document = openapi_document()

    async def openapi(_: Request) -> Response:
        return Response(document, media_type="application/json")

    return Route(OPENAPI_PATH, openapi, methods=["GET"])
