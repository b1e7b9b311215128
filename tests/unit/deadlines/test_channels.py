"""The webhook secret and signature, and the stable ids of notifications (issue 25)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.config import DeadlinesConfig
from gateway.deadlines.channels import SECRET_ENV, Mail, event_id, load_secret, sign, verify
from gateway.deadlines.escalation import Notice
from gateway.errors import ConfigError

_NOTICE = Notice("m-1", "B", "received", "A", "A", "Báo cáo", datetime(2026, 12, 7, tzinfo=UTC))


def test_the_secret_comes_from_a_file_in_the_home_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative file is read from the home, stripped; the environment wins over it."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    (tmp_path / "webhook.key").write_text("  s3cret\n", encoding="utf-8")
    config = DeadlinesConfig(webhook_secret_file="webhook.key")
    assert load_secret(config, tmp_path) == b"s3cret"
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert load_secret(config, tmp_path) == b"from-env"
    assert load_secret(DeadlinesConfig(), None) == b"from-env"


def test_a_named_secret_file_that_is_missing_or_empty_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub does not start unsigned because a secret file is missing or empty."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(ConfigError, match="cannot read"):
        load_secret(DeadlinesConfig(webhook_secret_file="nope.key"), tmp_path)
    (tmp_path / "empty.key").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        load_secret(DeadlinesConfig(webhook_secret_file="empty.key"), tmp_path)
    assert load_secret(DeadlinesConfig(), tmp_path) is None


def test_the_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    """sha256=HEX as any HMAC library computes it; a changed body does not verify."""
    body = b'{"id": "x"}'
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign(b"k", body) == f"sha256={expected}"
    assert verify(b"k", body, sign(b"k", body))
    assert not verify(b"k", body + b" ", sign(b"k", body))
    assert not verify(b"other", body, sign(b"k", body))


def test_each_channel_of_a_notice_has_its_own_stable_id() -> None:
    """The same delivery, level and channel give the same id; the mail carries it."""
    assert event_id(_NOTICE, "mail") == event_id(_NOTICE, "mail") != event_id(_NOTICE, "webhook")
    mail = Mail.of(DeadlinesConfig(mail_from="hub@tinh.gov.vn", mail_to="a@x, b@y")).message(
        _NOTICE
    )
    assert mail["Message-ID"] == f"<escalation.{event_id(_NOTICE, 'mail')}@tinh.gov.vn>"
    assert mail["To"] == "a@x, b@y"
