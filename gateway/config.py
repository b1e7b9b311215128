"""Configuration: ``config.toml`` in the home, overridden by ``LIENTHONG_<SECTION>_<KEY>``.

The embedded default (no config file at all) is SQLite in the home directory and the
in-process local bus.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

DEFAULT_HOME = "./lienthong-data"


def resolve_home(home: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The data directory: ``--home``, else ``LIENTHONG_HOME``, else ``./lienthong-data``."""
    env = os.environ if env is None else env
    return Path(home or env.get("LIENTHONG_HOME") or DEFAULT_HOME).resolve()


@dataclass(frozen=True)
class HubConfig:
    """``[hub]``: who the hub is and how it listens."""

    unit_code: str = "000.00.00.HUB"
    listen: str = "127.0.0.1:8480"
    max_body_bytes: int = 64 * 1024 * 1024
    max_xml_bytes: int = 10 * 1024 * 1024
    max_xml_depth: int = 64
    rate_per_minute: int = 6000
    created_window_seconds: int = 86400
    #: How far a signed receipt's own time may lie past the hub's clock, or before the
    #: message was accepted (``receipt.time_out_of_range``); the hub records its own time.
    receipt_clock_skew_seconds: int = 300
    workers: int = 1
    #: Wake the long-polls of the other hub processes sharing the PostgreSQL database when
    #: this one delivers (LISTEN/NOTIFY, :mod:`gateway.pipeline.peer_wakeups`): on for hubs
    #: on several machines; ``serve --workers N`` (N > 1) turns it on for its workers.
    wake_peers: bool = False
    #: Threads that sign receipts and envelopes beside the event loop; 0: on the loop.
    #: Worth it where a core is free beside the hub (see :mod:`gateway.envelope.seal`).
    signing_threads: int = 0
    #: TLS for the listener: server certificate and its unencrypted key (PEM files outside
    #: the repository). Empty: plain HTTP. Clients may then log in with certificates
    #: issued by the hub CA.
    tls_cert: str = ""
    tls_key: str = ""
    #: A document addressed to a retired unit: ``forward`` it to the successor (the
    #: status says so), or ``refuse`` it (``routing.unit_retired``, naming the successor).
    #: A re-coded unit's old code always forwards (it is an alias).
    retired_units: str = "forward"
    #: Admission control (:mod:`gateway.pipeline.admission`): a submission is refused with
    #: 503 ``hub.overloaded`` and ``Retry-After`` while this many are being taken in by
    #: this process, or while this many deliveries are still on their way to their
    #: recipients (not yet in a mailbox, or in one but not yet fetched); 0: no bound.
    #: The backlog bound is off by default: recipients that fetch every few minutes leave a
    #: broadcast's deliveries waiting in their mailboxes, which is no overload of the hub.
    max_inflight_submissions: int = 64
    max_backlog: int = 0
    #: The ``Retry-After`` seconds of that refusal.
    overload_retry_after_seconds: int = 1
    #: The wait an accepted document should have before it can be fetched: the backlog
    #: bound then follows the recipients' pace (deliveries fetched per second times this,
    #: at most ``max_backlog``); 0: ``max_backlog`` alone.
    target_wait_seconds: float = 0.0

    def __post_init__(self) -> None:
        for name in ("max_inflight_submissions", "max_backlog", "overload_retry_after_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, not {value!r}")
        wait = self.target_wait_seconds
        if isinstance(wait, bool) or not isinstance(wait, int | float) or wait < 0:
            raise ValueError(f"target_wait_seconds must be a number >= 0, not {wait!r}")
        if self.retired_units not in ("forward", "refuse"):
            raise ValueError(f"retired_units must be forward or refuse, not {self.retired_units!r}")
        if not isinstance(self.signing_threads, int) or not 0 <= self.signing_threads <= 64:
            raise ValueError(f"signing_threads must be 0 to 64, not {self.signing_threads!r}")
        skew = self.receipt_clock_skew_seconds
        if isinstance(skew, bool) or not isinstance(skew, int) or skew < 0:
            raise ValueError(f"receipt_clock_skew_seconds must be an integer >= 0, not {skew!r}")


@dataclass(frozen=True)
class DatabaseConfig:
    """``[database]``: SQLAlchemy async URL; empty means SQLite in the home."""

    url: str = ""
    #: PostgreSQL: every this many seconds, vacuum the queue tables that have at least
    #: ``vacuum_dead_rows`` dead rows (:mod:`gateway.store.vacuum`); 0: leave it to
    #: autovacuum.
    vacuum_seconds: float = 10.0
    vacuum_dead_rows: int = 1000
    #: Delete outbox rows this many seconds after the bus confirmed them
    #: (:mod:`gateway.store.retention`); 0: keep them all.
    outbox_keep_seconds: float = 86400.0
    #: One store operation of an HTTP request (a statement, a transaction, the wait for a
    #: write turn) answers 503 ``store.unavailable`` after this many seconds, however many
    #: of the database's timeouts it meets (:mod:`gateway.store.deadline`); 0: no bound.
    request_seconds: float = 15.0

    def __post_init__(self) -> None:
        for name in ("vacuum_seconds", "outbox_keep_seconds", "request_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")


@dataclass(frozen=True)
class BusConfig:
    """``[bus]``: ``local://`` (in-process) or ``amqp://user:pass@host/vhost``."""

    url: str = "local://"
    prefetch: int = 256
    delivery_limit: int = 5
    confirm_timeout_seconds: float = 10.0
    #: 0: a quorum queue per unit; N: units share N delivery queues (large directories).
    shards: int = 0


@dataclass(frozen=True)
class KeysConfig:
    """``[keys]``: where the passphrase for private keys comes from."""

    passphrase_file: str = ""
    key_type: str = "rsa2048"


@dataclass(frozen=True)
class ClientConfig:
    """``[client]``: where ``lienthong send/inbox/ack/status`` reach a hub (``LIENTHONG_URL``
    and ``LIENTHONG_TOKEN`` win); an empty url means ``http://`` + ``[hub] listen``."""

    url: str = ""
    token: str = ""
    #: ``lienthong send``: how many times a busy hub (503/429) or a lost connection is
    #: tried again, and the longest wait, in seconds, whatever ``Retry-After`` asks.
    retries: int = 3
    max_retry_wait: float = 30.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.max_retry_wait < 0:
            raise ValueError("retries and max_retry_wait must be >= 0")


@dataclass(frozen=True)
class DeadlinesConfig:
    """``[deadlines]``: the working-day calendar, the due times by urgency, escalation
    (``gateway/deadlines``; dates and lists comma-separated)."""

    timezone: str = "Asia/Ho_Chi_Minh"
    day_end: str = "17:00"
    received: str = "1wd,1wd,0wd,2h,2h"
    completed: str = "10wd,7wd,5wd,1wd,1wd"
    days_off: str = ""
    working_days: str = ""
    #: Seconds between overdue evaluations (0: never, this process does not notify).
    check_seconds: float = 60.0
    #: Hours past a due time after which the sender's parent unit is told as well.
    parent_after_hours: float = 24.0
    webhook_url: str = ""
    #: The webhook's HMAC-SHA256 key: a file holding it (relative to the home), or the
    #: key itself from ``LIENTHONG_DEADLINES_WEBHOOK_SECRET`` (``gateway.deadlines.channels``).
    webhook_secret_file: str = ""
    webhook_secret: str = field(default="", repr=False)
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = ""
    #: Comma-separated addresses the overdue mails go to.
    mail_to: str = ""


@dataclass(frozen=True)
class PdfConfig:
    """``[pdf]``: PDF signatures checked on arrival (``gateway/pdfsig``, docs/evidence.md).

    ``trust_dir``: a folder of CA certificates (PEM/DER), relative to the home unless
    absolute. ``policy``: ``accept`` (record the verdict), ``flag`` (record it and flag a
    PDF that is not a valid original), ``refuse`` (``attachment.unsigned`` /
    ``attachment.signature_invalid``). ``fetch_revocation``: ask the CRL/OCSP the
    certificates name (otherwise the verdict says revocation was not checked).
    ``check_cpu_seconds``: the CPU one PDF's check may use (in a worker process); past it
    the verdict is ``unchecked`` (``attachment.check_timeout`` under ``refuse``).
    ``check_memory_mib``: the address space of that worker process (``RLIMIT_AS``, the
    worker's own code included); past it the verdict is ``unchecked``
    (``attachment.check_out_of_memory`` under ``refuse``).
    """

    trust_dir: str = "pdf-trust"
    policy: str = "accept"
    fetch_revocation: bool = False
    check_cpu_seconds: float = 10.0
    check_memory_mib: int = 1024

    def __post_init__(self) -> None:
        if self.policy not in ("accept", "flag", "refuse"):
            raise ValueError(f"policy must be accept, flag or refuse, not {self.policy!r}")
        cpu = self.check_cpu_seconds
        if isinstance(cpu, bool) or not isinstance(cpu, int | float) or not 0 < cpu <= 3600:
            raise ValueError(f"check_cpu_seconds must be a number in (0, 3600], not {cpu!r}")
        mib = self.check_memory_mib
        if isinstance(mib, bool) or not isinstance(mib, int) or not 256 <= mib <= 1 << 20:
            raise ValueError(
                f"check_memory_mib must be a whole number in [256, 1048576], not {mib!r}"
            )


@dataclass(frozen=True)
class BlobsConfig:
    """``[blobs]``: empty ``url`` keeps the blobs under the home; ``s3://bucket/prefix``
    puts them in an S3-compatible object store, whose endpoint and credentials come from
    the environment (``LIENTHONG_BLOBS_ENDPOINT``, ``_REGION``, ``_ACCESS_KEY_ID``,
    ``_SECRET_ACCESS_KEY``, else ``AWS_*``), never from a file in a repository."""

    url: str = ""
    #: The part size of a multipart upload (MiB, at least 5): the memory one upload holds.
    part_size_mib: int = 8
    #: Where downloads of object-store blobs are cached; empty: ``blob-cache`` in the home.
    cache_dir: str = ""
    #: The cache's size bound (MiB): past it the least recently used files are deleted
    #: (:mod:`gateway.store.blobcache`); 0: no bound.
    cache_max_mib: int = 1024

    def __post_init__(self) -> None:
        if self.url and not self.url.startswith("s3://"):
            raise ValueError(f"url must be empty or s3://bucket/prefix, not {self.url!r}")
        size = self.part_size_mib
        if isinstance(size, bool) or not isinstance(size, int) or size < 5:
            raise ValueError(f"part_size_mib must be an integer >= 5, not {size!r}")
        cap = self.cache_max_mib
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ValueError(f"cache_max_mib must be an integer >= 0, not {cap!r}")


@dataclass(frozen=True)
class TimestampsConfig:
    """``[timestamps]``: RFC 3161 timestamps from a TSA (``gateway/timestamps``) on each
    accepted message's audit entry, each receipt, and the audit head every
    ``head_interval_seconds``. Empty ``tsa_url``: none. ``trust_dir``: the TSA's CA
    certificates (relative to the home), used when checking tokens."""

    tsa_url: str = ""
    timeout_seconds: float = 10.0
    pass_seconds: float = 5.0
    head_interval_seconds: float = 300.0
    trust_dir: str = "tsa-trust"


@dataclass(frozen=True)
class AdapterConfig:
    """One ``[[adapters]]`` entry."""

    name: str
    unit: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """The whole configuration of one hub process."""

    home: Path
    hub: HubConfig = field(default_factory=HubConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    bus: BusConfig = field(default_factory=BusConfig)
    keys: KeysConfig = field(default_factory=KeysConfig)
    client: ClientConfig = field(default_factory=ClientConfig)
    deadlines: DeadlinesConfig = field(default_factory=DeadlinesConfig)
    pdf: PdfConfig = field(default_factory=PdfConfig)
    timestamps: TimestampsConfig = field(default_factory=TimestampsConfig)
    blobs: BlobsConfig = field(default_factory=BlobsConfig)
    adapters: tuple[AdapterConfig, ...] = ()

    @property
    def database_url(self) -> str:
        """The configured URL, or SQLite in the home directory."""
        return self.database.url or f"sqlite+aiosqlite:///{self.home / 'lienthong.db'}"

    @property
    def blob_dir(self) -> Path:
        """Where attachments are stored by digest."""
        return self.home / "blobs"

    @property
    def pdf_trust_dir(self) -> Path:
        """The folder of CA certificates PDF signatures must chain to."""
        return self.home / self.pdf.trust_dir

    @property
    def blob_cache_dir(self) -> Path:
        """Where blobs fetched from an object store are cached."""
        return Path(self.blobs.cache_dir) if self.blobs.cache_dir else self.home / "blob-cache"

    @property
    def key_dir(self) -> Path:
        """Where private keys and the CA live (mode 0700)."""
        return self.home / "keys"


_SECTIONS: dict[str, type[Any]] = {
    "hub": HubConfig,
    "database": DatabaseConfig,
    "bus": BusConfig,
    "keys": KeysConfig,
    "client": ClientConfig,
    "deadlines": DeadlinesConfig,
    "pdf": PdfConfig,
    "timestamps": TimestampsConfig,
    "blobs": BlobsConfig,
}


def load_config(
    home: str | Path | None = None,
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read the config file (if any) and apply ``LIENTHONG_<SECTION>_<KEY>`` overrides."""
    env = os.environ if env is None else env
    home_path = resolve_home(home, env)
    path = Path(config_file or env.get("LIENTHONG_CONFIG") or home_path / "config.toml")
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    elif config_file:
        raise ConfigError(f"config file {path} does not exist")
    cfg = Config(home=home_path)
    for section, cls in _SECTIONS.items():
        cfg = replace(cfg, **{section: _section(cls, section, raw.get(section, {}), env)})
    adapters = tuple(_adapter(entry) for entry in raw.get("adapters", []))
    return replace(cfg, adapters=adapters)


def _section(cls: type[Any], name: str, values: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"[{name}]: unknown keys {sorted(unknown)}")
    merged = dict(values)
    for key, fld in known.items():
        override = env.get(f"LIENTHONG_{name.upper()}_{key.upper()}")
        if override is not None:
            merged[key] = _coerce(override, fld.default, f"{name}.{key}")
    try:
        return cls(**merged)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{name}]: {exc}") from exc


def _coerce(text: str, default: Any, where: str) -> Any:
    try:
        if isinstance(default, bool):
            return text.lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {text!r} is not a number") from exc
    return text


def _adapter(entry: Mapping[str, Any]) -> AdapterConfig:
    if "name" not in entry:
        raise ConfigError("[[adapters]] entry without a name")
    options = dict(entry.get("options", {}))
    return AdapterConfig(name=str(entry["name"]), unit=str(entry.get("unit", "")), options=options)
