"""The VXP wire facts: the SDK's hash-file form, the body it posts, and the stand-in's
Java HashMap order (checked once against a real JVM, recorded here)."""

from __future__ import annotations

import hashlib

from adapters.axis.vxp_wire import fail_answer, java_hex, matching_file, ok_answer
from tests.standins.vxp_sdk import JavaHashMap, gson_object, java_string_hash

#: ``new HashMap<>()`` with these keys put in this order, iterated by OpenJDK 17.
_PUT = [
    "timestamp",
    "systemid",
    "Content-Type",
    "from",
    "servicetype",
    "messagetype",
    "to",
    "hash-file",
    "docId",
    "filePath",
    "status",
    "docid",
    "AgencyCode",
    "level",
    "aa",
    "bb",
    "cc",
    "dd",
    "ee",
]
_JAVA_ORDER = [
    "aa",
    "bb",
    "cc",
    "dd",
    "ee",
    "systemid",
    "messagetype",
    "level",
    "docId",
    "docid",
    "filePath",
    "servicetype",
    "hash-file",
    "AgencyCode",
    "from",
    "to",
    "timestamp",
    "Content-Type",
    "status",
]


def test_java_hex_drops_leading_zeros_per_byte() -> None:
    """Integer.toHexString(0xFF & b): 0x0a is "a", 0x00 is "0"."""
    assert java_hex(bytes([0x0A, 0x00, 0xFF, 0x10])) == "a0ff10"


def test_hash_file_matches_the_file_with_or_without_the_sdk_crlf() -> None:
    """The SDK hashes the file and posts file + CRLF; both hex forms are accepted."""
    edxml = b"<edXML>x</edXML>"
    digest = hashlib.sha256(edxml).digest()
    assert matching_file(java_hex(digest), edxml + b"\r\n") == edxml
    assert matching_file(digest.hex().upper(), edxml) == edxml
    assert matching_file(java_hex(digest), edxml + b"tampered") is None


def test_answers_have_the_fields_the_sdk_reads() -> None:
    """OK answers: ErrorCode "0"; a refused sendEdoc still has DocId."""
    assert ok_answer(count=2) == {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success",
                                  "count": 2}  # fmt: skip
    refused = fail_answer("sendEdoc", 403, "axis.sender_not_allowed", "no")
    assert refused == {"status": "FAIL", "ErrorCode": "403",
                       "ErrorDesc": "axis.sender_not_allowed: no", "DocId": ""}  # fmt: skip


def test_stand_in_iterates_like_java_hashmap() -> None:
    """The stand-in's header order is OpenJDK's HashMap order, across a resize."""
    headers = JavaHashMap()
    for key in _PUT:
        headers.put(key, "x")
    assert [k for k, _ in headers.items()] == _JAVA_ORDER
    # String.hashCode() on OpenJDK 17, the second one negative (int overflow)
    assert (java_string_hash("systemid"), java_string_hash("Hà Nội")) == (1976086410, -2025526538)


def test_stand_in_sign_header_is_gson_compact_json() -> None:
    """Gson: no spaces, quotes and backslashes escaped, non-ASCII kept."""
    assert gson_object([("XroadVnpt-to", '["A"]'), ("k", "Hà\\")]) == (
        '{"XroadVnpt-to":"[\\"A\\"]","k":"Hà\\\\"}'
    )
