"""The OpenAPI document matches the router, route for route."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from adapters.axis import AxisSystems, setup_axis_routes
from gateway.api.app import build_app
from gateway.api.openapi import openapi_document
from gateway.config import Config
from gateway.errors import ERROR_CODES

_METHODS = {"get", "post", "put", "patch", "delete"}
#: routes that speak another protocol than this document's (the VXP SDK's wire format and
#: error shape, docs/vxp.md), like the console (not mounted by build_app)
_OWN_PROTOCOLS = ("/vxp/",)


def _routed(tmp_path: Path) -> set[tuple[str, str]]:
    # the router never calls the hub while being built: a bare config holder is enough
    hub = SimpleNamespace(config=Config(home=tmp_path))
    app = build_app(hub)  # type: ignore[arg-type]
    setup_axis_routes(app, hub, AxisSystems())  # as `serve` mounts it for registered systems
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path.startswith(_OWN_PROTOCOLS):
            continue
        found.add((route.method.lower(), path))
    return found


def test_every_route_is_documented_and_vice_versa(tmp_path: Path) -> None:
    """(method, path) pairs of the router and of the document are the same set."""
    doc = openapi_document()
    documented = {
        (method, path) for path, ops in doc["paths"].items() for method in ops if method in _METHODS
    }
    assert documented == _routed(tmp_path)


def test_error_schema_lists_every_code() -> None:
    """The Error schema's code enum is exactly ERROR_CODES."""
    schema = openapi_document()["components"]["schemas"]["Error"]
    assert set(schema["properties"]["error"]["properties"]["code"]["enum"]) == set(ERROR_CODES)


def test_document_is_openapi_31_with_bearer() -> None:
    """The document declares OpenAPI 3.1 and a bearer security scheme."""
    doc = openapi_document()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_every_operation_has_responses_and_path_params() -> None:
    """Each operation documents responses and declares each {param} of its path."""
    for path, ops in openapi_document()["paths"].items():
        wanted = {seg[1:-1] for seg in path.split("/") if seg.startswith("{")}
        for op in ops.values():
            assert op["responses"], path
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == wanted, path
