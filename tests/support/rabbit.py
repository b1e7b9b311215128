"""What the broker itself says about a test's vhost."""

from __future__ import annotations

import subprocess


def broker_queues(amqp_url: str) -> dict[str, int]:
    """Queue name → ready messages in the URL's vhost, as ``rabbitmqctl`` lists them."""
    vhost = amqp_url.rsplit("/", 1)[1]
    done = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages", "--no-table-headers"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    return {name: int(count) for name, count in rows}
