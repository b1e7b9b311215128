"""Which driver errors mean "the database cannot serve now" (``store.unavailable``, 503)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from gateway.store.db import is_unavailable


class _Adapted(Exception):
    """Stands for SQLAlchemy's asyncpg adapter error (``raise Adapted(...) from driver``)."""


def _wrapped(driver_error: Exception) -> DBAPIError:
    """``driver_error`` as SQLAlchemy hands it over: ``DBAPIError(orig=adapted from driver)``."""
    try:
        try:
            raise _Adapted(str(driver_error)) from driver_error
        except _Adapted as adapted:
            raise DBAPIError("SELECT 1", {}, adapted) from adapted
    except DBAPIError as exc:
        return exc


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        ConnectionRefusedError(111, "Connect call failed"),
    ],
)
def test_restart_errors_under_the_wrapper_are_unavailable(driver_error: Exception) -> None:
    """A restarting server's errors count whether bare or wrapped in a ``DBAPIError``."""
    assert is_unavailable(driver_error)
    assert is_unavailable(_wrapped(driver_error))


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key value"),
        asyncpg.exceptions.UndefinedColumnError("column x does not exist"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        ValueError("not a database error"),
    ],
)
def test_other_errors_are_not_unavailable(driver_error: Exception) -> None:
    """Integrity errors, schema errors and our own mistakes stay what they are (not 503)."""
    assert not is_unavailable(driver_error)
    assert not is_unavailable(_wrapped(driver_error))
