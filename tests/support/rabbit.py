"""Test vhosts on the broker, and what the broker itself says about them.

Every ``rabbitmqctl`` call boots an Erlang VM (about 0.75 s of a core here), so a vhost is
made in one call (``eval``: the vhost and guest's rights together) and deleted in the
background while the next test runs; :func:`wait_for_deletions` waits for the last ones.
"""

from __future__ import annotations

import subprocess
import time

#: ``rabbitmqctl delete_vhost`` calls still running.
_DELETIONS: list[subprocess.Popen[bytes]] = []
#: At most this many of them at once (each is a VM on a 2-core machine).
_MAX_DELETIONS = 2
_ACTOR = "lienthong-tests"


def add_vhost(name: str, attempts: int = 3) -> None:
    """Create vhost ``name`` with every right for ``guest``; a ``rabbitmqctl`` that fails
    on a loaded host (its Erlang VM start timing out) is tried again."""
    for attempt in range(1, attempts + 1):
        try:
            _add_vhost(name)
            return
        except subprocess.SubprocessError:
            if attempt == attempts:
                raise
            time.sleep(attempt)


def _add_vhost(name: str) -> None:
    """Create vhost ``name`` with every right for ``guest``, in one ``rabbitmqctl`` call
    (the two documented commands if this broker's internal API differs)."""
    script = (
        f'rabbit_vhost:add(<<"{name}">>, <<"{_ACTOR}">>), '
        f'rabbit_auth_backend_internal:set_permissions(<<"guest">>, <<"{name}">>, '
        f'<<".*">>, <<".*">>, <<".*">>, <<"{_ACTOR}">>).'
    )
    done = subprocess.run(
        ["rabbitmqctl", "eval", script], capture_output=True, text=True, timeout=60
    )
    if done.returncode == 0 and done.stdout.strip() == "ok":
        return
    subprocess.run(["rabbitmqctl", "add_vhost", name], capture_output=True, timeout=60)
    subprocess.run(
        ["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        capture_output=True,
        timeout=60,
        check=True,
    )


def delete_vhost_later(name: str) -> None:
    """Start deleting vhost ``name`` without waiting for it (a failed deletion leaves a
    ``lt_test_*`` vhost, which ``.ci/run`` removes before the next run)."""
    while len(_DELETIONS) >= _MAX_DELETIONS:
        _DELETIONS.pop(0).wait(timeout=120)
    _DELETIONS.append(
        subprocess.Popen(
            ["rabbitmqctl", "-q", "delete_vhost", name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def wait_for_deletions() -> None:
    """Wait for every deletion started by :func:`delete_vhost_later`."""
    while _DELETIONS:
        _DELETIONS.pop(0).wait(timeout=120)


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
