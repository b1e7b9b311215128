"""Typed keys for the console's application state."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from gateway.console.data import ConsoleData
from gateway.console.facade import ConsoleHub
from gateway.console.people import UnitNames
from gateway.console.session import SessionCodec

__all__ = ["CODEC", "DATA", "HUB", "NAMES", "STOP", "ConsoleHub"]

if TYPE_CHECKING:  # mypy proves the hub is what the console takes
    from gateway.hub import Hub

    _HUB_IS_A_CONSOLE_HUB: type[ConsoleHub] = Hub

HUB: web.AppKey[ConsoleHub] = web.AppKey("console_hub", ConsoleHub)
DATA: web.AppKey[ConsoleData] = web.AppKey("console_data", ConsoleData)
CODEC: web.AppKey[SessionCodec] = web.AppKey("console_codec", SessionCodec)
STOP: web.AppKey[asyncio.Event] = web.AppKey("console_stop", asyncio.Event)
NAMES: web.AppKey[UnitNames] = web.AppKey("console_names", UnitNames)
