"""The SDK's ``AgencyService`` on the hub: the directory over ``/vxp``.

Every system reads the directory (``getAgenciesList``, ``getAgenciesListQD20``,
``getSynchronizeUnit``): an office needs the unit codes it addresses. Only a peer system
(``peer = true``, another hub or a provincial platform) registers units, and only below
its own unit; the directory never deletes a unit, so ``deleteAgency`` is refused.
"""

from __future__ import annotations

from typing import Any, Final

from adapters.axis.vxp_auth import Operation, VxpContext
from adapters.axis.vxp_wire import ok_answer
from gateway.directory.principal import Principal
from gateway.errors import DirectoryError, ForbiddenError, RequestError
from gateway.facade import UnitLike
from gateway.untrusted import parse_json

__all__ = ["AGENCY_OPERATIONS"]

_MAX_AGENCY_BODY: Final = 64 * 1024


def _iso(unit: UnitLike) -> str:
    return unit.created_at.isoformat()


def _agency(unit: UnitLike) -> dict[str, Any]:
    """One ``Agency`` of ``getAgenciesList``; the unit code is its id."""
    return {
        "id": unit.code,
        "code": unit.code,
        "name": unit.name,
        "pid": unit.parent or "",
        "mail": "",
        "oldCode": "",
    }


async def agencies(ctx: VxpContext) -> dict[str, Any]:
    """``getAgenciesList``: every unit of the directory."""
    return ok_answer(data=[_agency(u) for u in await ctx.hub.units()])


async def agencies_qd20(ctx: VxpContext) -> dict[str, Any]:
    """``getAgenciesListQD20``: the same, with the QCVN 102 code as ``code102``."""
    units = await ctx.hub.units()
    return ok_answer(data=[{**_agency(u), "code102": u.code} for u in units])


async def synchronize(ctx: VxpContext) -> dict[str, Any]:
    """``getSynchronizeUnit``: every unit with the fields a synchronising system reads."""
    center = ctx.hub.config.hub.unit_code
    rows = [
        {
            **_agency(u),
            "version": 1,
            "centerCode": center,
            "deleted": False,
            "modifyDate": _iso(u),
            "isAgency": True,
        }
        for u in await ctx.hub.units()
    ]
    return ok_answer(data=rows)


def _require_peer(ctx: VxpContext) -> None:
    if not ctx.call.system.peer:
        raise ForbiddenError(
            "only a peer system (peer = true) changes the directory", code="vxp.agency_forbidden"
        )


def _registration(body: bytes) -> tuple[str, str, str]:
    """(code, name, parent code) of a ``registerAgency`` body."""
    if len(body) > _MAX_AGENCY_BODY:
        raise RequestError("the agency is too large", code="request.invalid")
    data = parse_json(body, "the body")
    fields = [data.get(k) if isinstance(data, dict) else None for k in ("code", "name", "pcode")]
    if not all(isinstance(f, str) and f.strip() for f in fields):
        raise RequestError("code, name and pcode are required", code="request.missing_field")
    code, name, parent = (str(f).strip() for f in fields)
    return code, name, parent


async def register(ctx: VxpContext) -> dict[str, Any]:
    """``registerAgency``: a peer adds a unit below one of its units (idempotent)."""
    _require_peer(ctx)
    code, name, parent = _registration(await ctx.request.read())
    if parent not in ctx.units:
        raise ForbiddenError(
            f"{parent} is not a unit this system acts for", code="vxp.agency_forbidden"
        )
    # idempotent: the same unit under the same parent is taken again; its mailbox opens now
    await ctx.hub.add_unit_below(
        Principal(unit=ctx.call.system.unit),
        code,
        name,
        parent,
        actor=f"vxp:{ctx.call.system.system_id}",
    )
    return ok_answer()


async def delete(ctx: VxpContext) -> dict[str, Any]:
    """``deleteAgency``: refused; units are retired by an operator, never deleted."""
    _require_peer(ctx)
    raise DirectoryError(
        "the directory never deletes a unit; an operator retires it",
        code="vxp.agency_delete_unsupported",
        http_status=409,
    )


AGENCY_OPERATIONS: Final[dict[str, Operation]] = {
    "getAgenciesList": agencies,
    "getAgenciesListQD20": agencies_qd20,
    "getSynchronizeUnit": synchronize,
    "registerAgency": register,
    "deleteAgency": delete,
}
