"""One spelling for text (NFC) and the folded search key, at every place text enters."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import pytest
from support.envelopes import sample_envelope, sample_receipt

from gateway.edxml.reader import read_document
from gateway.envelope.codec import (
    envelope_from_element,
    envelope_to_element,
    receipt_from_element,
    receipt_to_element,
)
from gateway.envelope.model import Attachment
from gateway.pipeline.document import UploadedFile, build_envelope
from gateway.text import fold, nfc

EDXML = Path(__file__).resolve().parents[1] / "fixtures" / "edxml" / "edoc-integrator"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Kế hoạch", "ke hoach"),
        ("KẾ HOẠCH", "ke hoach"),
        (nfd("Kế hoạch"), "ke hoach"),
        ("Đề án ĐƯỜNG", "de an duong"),
        ("  Tờ   trình\tsố 5 ", "to trinh so 5"),
        ("Ủy ban nhân dân tỉnh An Giang", "uy ban nhan dan tinh an giang"),
        ("ƯỚC TÍNH ơn", "uoc tinh on"),
        ("100% _x_", "100% _x_"),
        ("", ""),
    ],
)
def test_fold_drops_case_diacritics_and_extra_spaces(text: str, key: str) -> None:
    """The search key: lowercase, no diacritics, đ as d, single spaces."""
    assert fold(text) == key


def test_nfc_gives_one_spelling() -> None:
    """NFD and NFC spellings become the same string; ASCII is returned as is."""
    assert nfc(nfd("Xín Cái")) == "Xín Cái" and nfc("abc") == "abc"


def test_envelope_and_receipt_xml_are_read_as_nfc() -> None:
    """An envelope (subject, file name) and a receipt (reason) written decomposed read NFC."""
    env = sample_envelope()
    file = dataclasses.replace(env.attachments[0], name=nfd("báo cáo.pdf"))
    doc = dataclasses.replace(env.document, subject=nfd("Kế hoạch năm 2027"))
    read = envelope_from_element(
        envelope_to_element(dataclasses.replace(env, document=doc, attachments=(file,)))
    )
    assert read.document.subject == "Kế hoạch năm 2027"
    assert read.attachments[0].name == "báo cáo.pdf"
    receipt = dataclasses.replace(sample_receipt(), reason=nfd("Sai thể thức"))
    assert receipt_from_element(receipt_to_element(receipt)).reason == "Sai thể thức"


def test_edxml_is_read_as_nfc() -> None:
    """An edXML subject written decomposed reads NFC."""
    data = (EDXML / "edoc_new.edxml").read_bytes()
    data = data.replace("Báo cáo tài chính tỉnh".encode(), nfd("Báo cáo tài chính tỉnh").encode())
    assert read_document(data).subject == "Báo cáo tài chính tỉnh"


def test_multipart_metadata_and_file_names_are_nfc() -> None:
    """Metadata text and uploaded file names become NFC when the hub builds the envelope."""
    files = [UploadedFile(nfd("tờ trình.pdf"), "application/pdf", "0" * 64, 1)]
    meta = {"to": ["000.00.02.H01"], "subject": nfd("Tờ trình"), "signer": nfd("Nguyễn Văn Ấn")}
    env = build_envelope("000.00.01.H01", meta, files, is_group=lambda code: False)
    assert env.document.subject == "Tờ trình" and env.document.signer_name == "Nguyễn Văn Ấn"
    assert env.attachments == (Attachment("tờ trình.pdf", "application/pdf", 1, "0" * 64),)
