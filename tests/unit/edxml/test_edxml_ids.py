"""Which DocumentIds a unit may submit: its own (naming it as issuer), or a random UUID."""

from __future__ import annotations

import uuid

import pytest

from gateway.edxml.ids import check_document_id, document_uuid
from gateway.errors import EdxmlError

UNIT = "000.00.01.H01"


@pytest.mark.parametrize(
    "document_id",
    [f"{UNIT},2026/12/07,12/VP", f" {UNIT} ,2026/12/07,12/VP ", str(uuid.uuid4())],
    ids=["own-code", "own-code-padded", "random-uuid"],
)
def test_own_and_random_ids_pass(document_id: str) -> None:
    """A DocumentId naming the sender, or a random (version 4) UUID, is accepted."""
    check_document_id(document_id, UNIT)


@pytest.mark.parametrize(
    "document_id",
    [
        "000.00.02.H01,2026/12/07,12/VP",
        "12/VP",
        f"{UNIT}2026/12/07",
        str(document_uuid(f"{UNIT},2026/12/07,12/VP")),
        "{" + str(uuid.uuid4()) + "}",
    ],
    ids=["another-unit", "no-issuer", "no-comma", "name-based-uuid", "braced-uuid"],
)
def test_other_ids_are_refused(document_id: str) -> None:
    """Another unit's DocumentId, one naming no unit, or a name-based UUID is refused."""
    with pytest.raises(EdxmlError) as info:
        check_document_id(document_id, UNIT)
    assert (info.value.code, info.value.http_status) == ("edxml.bad_document_id", 422)
