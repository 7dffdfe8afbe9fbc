"""Configuration: a TOML file (stdlib tomllib) with defaults for everything but the DSN."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


@dataclass
class ServerConfig:
    host: str = "0.0.0.0"
    auth_port: int = 1812
    acct_port: int = 1813
    workers: int = 1
    dedup_seconds: float = 5.0
    use_uvloop: bool = True


@dataclass
class DatabaseConfig:
    dsn: str = ""
    schema: str = "zm_radius"
    pool_size: int = 6  # accounting, auth log, feed and background jobs
    auth_pool_size: int = 4  # account lookups and session-limit recounts only
    change_poll_seconds: float = 0.5  # NOTIFY wakes it at once; this bounds a lost one
    nas_poll_seconds: float = 0.5  # fingerprint of the nas relation: NAS edits within 1 s
    nas_reload_seconds: float = 300.0  # full re-read even when the fingerprint is unchanged
    command_timeout: float = 5.0


@dataclass
class CacheConfig:
    max_accounts: int = 500_000
    max_unknown: int = 50_000  # "no such account" entries, in their own LRU
    ttl_seconds: float = 300.0  # every entry is re-read at least this often
    max_pending_lookups: int = 20_000  # cache misses waiting for the database; beyond: drop


@dataclass
class AccountingConfig:
    interim_interval: int = 300
    stale_sweep_seconds: float = 30.0
    batch_max: int = 500
    writers: int = 1  # lanes by session key; each commits batch after batch
    commits_in_flight: int = 2  # a lane's next batch starts while the last one commits
    max_backlog: int = 50_000
    session_match_seconds: int = 60  # slack of "same start" and "clearly after" (sessions.py)
    history_days: int = 40  # how far back a record may still find (and correct) its session
    max_delay_seconds: int = 86_400  # bound on Acct-Delay-Time and Event-Timestamp age


@dataclass
class SpoolConfig:
    path: str = "/var/lib/radius_bridge/spool"  # worker i uses <path>/worker-<i>
    max_bytes: int = 1 << 30


@dataclass
class PolicyConfig:
    expiring_days: float = 7.0
    max_session_timeout: int = 86_400
    first_dial_session_timeout: int = 300  # waiting accounts: until Odoo sets the expiry
    expired_filter_id: str = ""
    pending_accept_seconds: float = 60.0  # an Accept counts for a session limit until its Start
    reject_reasons: bool = False  # true: Access-Reject's Reply-Message tells the reason
    reject_message: str = "Authentication failed"  # the Reply-Message otherwise
    crypt_workers: int = 2  # processes checking imported crypt(3) hashes, off the loop
    max_crypt_pending: int = 64  # crypt checks waiting; beyond: the request is dropped


@dataclass
class AuthLogConfig:
    flush_seconds: float = 0.1
    max_buffer: int = 100_000


@dataclass
class MetricsConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = no metrics endpoint


@dataclass
class LogConfig:
    level: str = "info"
    format: str = "kv"  # kv | json


@dataclass
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    accounting: AccountingConfig = field(default_factory=AccountingConfig)
    spool: SpoolConfig = field(default_factory=SpoolConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    auth_log: AuthLogConfig = field(default_factory=AuthLogConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    log: LogConfig = field(default_factory=LogConfig)


def _section(cls, name: str, data: dict):
    if not isinstance(data, dict):
        raise ConfigError(f"[{name}] must be a table")
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"[{name}] unknown key {key!r}")
        default = known[key].default
        if isinstance(default, bool) != isinstance(value, bool):
            raise ConfigError(f"[{name}] {key} must be a boolean")
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not type(default):
            raise ConfigError(f"[{name}] {key} must be {type(default).__name__}")
        values[key] = value
    return cls(**values)


def from_dict(data: dict) -> Config:
    """Build and validate a :class:`Config` from parsed TOML."""
    sections = {f.name: f.default_factory for f in fields(Config)}
    unknown = set(data) - set(sections)
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))}")
    kwargs = {
        name: _section(type(factory()), name, data.get(name, {}))
        for name, factory in sections.items()
    }
    cfg = Config(**kwargs)
    if not cfg.database.dsn:
        raise ConfigError("[database] dsn is required")
    for port in (cfg.server.auth_port, cfg.server.acct_port):
        if not 0 < port < 65536:
            raise ConfigError(f"port {port} out of range")
    if min(cfg.server.workers, cfg.database.pool_size, cfg.database.auth_pool_size,
           cfg.accounting.writers, cfg.policy.crypt_workers,
           cfg.accounting.commits_in_flight) < 1:  # fmt: skip
        raise ConfigError("workers, pool sizes, writers and crypt_workers must be >= 1")
    if cfg.cache.ttl_seconds <= 0 or cfg.cache.max_unknown < 1 or cfg.cache.max_accounts < 1:
        raise ConfigError("[cache] sizes and ttl_seconds must be > 0")
    if cfg.accounting.interim_interval < 1:
        raise ConfigError("[accounting] interim_interval must be >= 1")
    acct = cfg.accounting
    if acct.session_match_seconds < 1 or acct.history_days < 1 or acct.max_delay_seconds < 0:
        raise ConfigError("[accounting] session_match_seconds, history_days must be >= 1")
    if not cfg.spool.path or cfg.spool.max_bytes < 1 << 20:
        raise ConfigError("[spool] path is required and max_bytes must be >= 1 MiB")
    if cfg.database.nas_poll_seconds <= 0 or cfg.database.nas_reload_seconds <= 0:
        raise ConfigError("[database] nas_poll_seconds and nas_reload_seconds must be > 0")
    if cfg.policy.pending_accept_seconds <= 0:
        raise ConfigError("[policy] pending_accept_seconds must be > 0")
    if cfg.policy.first_dial_session_timeout <= 0:
        raise ConfigError("[policy] first_dial_session_timeout must be > 0")
    if cfg.log.format not in ("kv", "json"):
        raise ConfigError("[log] format must be kv or json")
    if not cfg.database.schema.isidentifier():
        raise ConfigError("[database] schema must be an identifier")
    return cfg


def load(path: str) -> Config:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return from_dict(data)
