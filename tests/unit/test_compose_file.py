"""``docker-compose.yml`` (issue 27, 4c): two hubs over one PostgreSQL, a 3-node RabbitMQ
cluster and MinIO, configured the way the hub reads its configuration. There is no Docker
engine on the build machine: the file is read and checked here, not run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from gateway.config import load_config

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
#: ``${NAME}``, ``${NAME:?message}``, ``${NAME:-default}``: what compose fills in.
_VARIABLE = re.compile(r"\$\{[A-Z_]+(?::[?-][^}]*)?\}")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def _hub_env(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment with compose's variables filled with a stand-in value."""
    return {k: _VARIABLE.sub("secret", str(v)) for k, v in service["environment"].items()}


def test_the_file_has_two_hubs_postgresql_three_rabbitmq_nodes_and_minio() -> None:
    """Every part the scale-out layout names is a service."""
    services = set(_compose()["services"])
    expected = {"postgres", "rabbitmq1", "rabbitmq2", "rabbitmq3", "minio", "hub1", "hub2"}
    assert expected <= services


def test_each_hub_reads_the_shared_engines_from_its_environment(tmp_path: Path) -> None:
    """The hubs' environment, read by the hub's own configuration loader, gives PostgreSQL,
    the RabbitMQ cluster, the S3 store and peer wake-ups; the two hubs differ only in
    their port and home."""
    services = _compose()["services"]
    configs = []
    for name in ("hub1", "hub2"):
        config = load_config(tmp_path / name, env=_hub_env(services[name]))
        assert config.database.url.startswith("postgresql+asyncpg://")
        assert "@postgres/" in config.database.url
        assert config.bus.url.startswith("amqp://") and "rabbitmq1" in config.bus.url
        assert config.blobs.url == "s3://lienthong/blobs"
        assert config.hub.wake_peers is True
        configs.append(config)
    assert configs[0].database == configs[1].database
    assert configs[0].bus == configs[1].bus
    assert services["hub1"]["ports"] != services["hub2"]["ports"]


def test_the_hubs_share_the_keys_but_not_their_homes() -> None:
    """Both hubs mount one key volume and a home volume each."""
    services = _compose()["services"]
    mounts = {name: services[name]["volumes"] for name in ("hub1", "hub2")}
    keys = [[m for m in v if m.startswith("keys:")] for v in mounts.values()]
    assert keys[0] == keys[1] and len(keys[0]) == 1
    homes = {m for v in mounts.values() for m in v if not m.startswith("keys:")}
    assert len(homes) == 2


def test_the_rabbitmq_cluster_lists_its_three_nodes_and_replicates_quorum_queues() -> None:
    """The cluster configuration names the three nodes and gives quorum queues three
    replicas; secrets come from the environment, never from the file."""
    text = _compose()["configs"]["rabbitmq-cluster"]["content"]
    for node in ("rabbit@rabbitmq1", "rabbit@rabbitmq2", "rabbit@rabbitmq3"):
        assert node in text
    assert "quorum_queue.initial_cluster_size = 3" in text
    raw = COMPOSE.read_text(encoding="utf-8")
    for secret in ("POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "MINIO_PASSWORD"):
        assert f"${{{secret}:?" in raw or f"${{{secret}}}" in raw
