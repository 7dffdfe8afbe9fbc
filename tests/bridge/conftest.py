"""Fixtures: a fresh seeded database and the real server on loopback."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

from radius_bridge.seed import seed
from radius_bridge.testing import Controller

from .bridgekit import ADMIN_DSN, EXTRA_NAS, SECRET, make_config, sql


@pytest.fixture(scope="session")
def bridge_db():
    name = f"zm_bridge_test_{os.getpid()}_{secrets.token_hex(3)}"
    sql(ADMIN_DSN, f'CREATE DATABASE "{name}"', fetch="execute")
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(seed(dsn, 1000, SECRET))
        sql(dsn, EXTRA_NAS, fetch="execute")
        yield dsn
    finally:
        sql(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', fetch="execute")


@pytest.fixture(scope="session")
def bridge(bridge_db):
    with Controller(make_config(bridge_db)) as controller:
        yield controller


@pytest.fixture
def nas_rows(bridge_db):
    """Ids of NAS rows a test inserted, deleted afterwards so other tests see the seed only."""
    ids: list[int] = []
    yield ids
    if ids:
        sql(bridge_db, "DELETE FROM zm_radius.nas WHERE id = ANY($1::int[])", ids, fetch="execute")
