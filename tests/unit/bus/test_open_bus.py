"""open_bus picks the implementation from the URL; routing checks refuse injection."""

from __future__ import annotations

import pytest

import gateway.bus
from gateway.bus import check_routing, open_bus
from gateway.bus.base import check_headers, user_headers
from gateway.bus.local import LocalBus
from gateway.bus.rabbit import RabbitBus
from gateway.bus.topology import mailbox_arguments
from gateway.errors import ConfigError, DirectoryError, RoutingError


def test_local_scheme_gives_local_bus() -> None:
    """local:// is the in-process bus (RabbitMQ-only options are ignored)."""
    bus = open_bus("local://", delivery_limit=4, confirm_timeout=1.0)
    assert isinstance(bus, LocalBus) and bus.policy.delivery_limit == 4


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1/x", "amqps://h/x"])
def test_amqp_schemes_give_rabbit_bus(url: str) -> None:
    """amqp:// and amqps:// are RabbitMQ, not connected yet."""
    bus = open_bus(url, prefetch=8)
    assert isinstance(bus, RabbitBus) and bus.prefetch == 8 and not bus.is_connected


@pytest.mark.parametrize("url", ["amqq://h", "redis://h", "nothing"])
def test_unknown_scheme_is_a_config_error(url: str) -> None:
    """Another scheme is refused with a config error (with a suggestion when close)."""
    with pytest.raises(ConfigError) as caught:
        open_bus(url)
    if url.startswith("amqq"):
        assert "did you mean amqp://" in caught.value.message


def test_public_names_are_exported() -> None:
    """Everything in __all__ exists."""
    assert all(hasattr(gateway.bus, name) for name in gateway.bus.__all__)


@pytest.mark.parametrize("key", ["#", "*", "A.#", "a", "A..B", "A.B.", ""])
def test_bad_routing_keys_refused(key: str) -> None:
    """Wildcards and non-codes can never become a routing key."""
    with pytest.raises(DirectoryError):
        check_routing("documents", key)


def test_unknown_topic_refused() -> None:
    """Only documents and receipts are topics."""
    with pytest.raises(RoutingError):
        check_routing("all", "000.00.01.G01")


def test_headers_reserved_prefix() -> None:
    """x- headers are refused on publish and hidden on delivery."""
    with pytest.raises(ValueError):
        check_headers({"x-delivery-count": "1"})
    assert user_headers({"a": "1", "x-death": [], "x-lienthong-topic": "documents"}) == {"a": "1"}


def test_mailbox_arguments_make_a_safe_quorum_queue() -> None:
    """Quorum, explicit delivery limit (N deliveries), DLX, at-least-once dead-lettering."""
    args = mailbox_arguments(5)
    assert args == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 4,
        "x-dead-letter-exchange": "lienthong.dlx",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
