"""Typed keys for the console's application state."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from gateway.console.data import ConsoleData
from gateway.console.people import UnitNames
from gateway.console.session import SessionCodec

HUB: web.AppKey[Any] = web.AppKey("console_hub", object)
DATA: web.AppKey[ConsoleData] = web.AppKey("console_data", ConsoleData)
CODEC: web.AppKey[SessionCodec] = web.AppKey("console_codec", SessionCodec)
STOP: web.AppKey[asyncio.Event] = web.AppKey("console_stop", asyncio.Event)
NAMES: web.AppKey[UnitNames] = web.AppKey("console_names", UnitNames)
