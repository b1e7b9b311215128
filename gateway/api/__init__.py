"""The hub's HTTP API: :func:`gateway.api.app.build_app` builds the aiohttp application."""

from gateway.api.app import build_app

__all__ = ["build_app"]
