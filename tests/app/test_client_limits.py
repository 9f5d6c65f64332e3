"""Per-client-address limits: requests and failed authentications counted per client, the client
named by X-Forwarded-For only when the connection comes from the load balancer's network."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from memory_api.core.client_ip import client_address
from memory_api.core.config import Settings
from memory_api.main import create_app

from tests.app.conftest import Api, SettingsFactory

LB = [ipaddress.ip_network("10.0.0.0/16")]
LB_PEER = ("10.0.3.7", 40000)  # a load balancer node inside LB


@contextmanager
def api_from(settings: Settings, peer: tuple[str, int]) -> Iterator[Api]:
    """The app, its requests coming from ``peer`` (the TCP peer address the server sees)."""
    with TestClient(create_app(settings), client=peer, raise_server_exceptions=False) as client:
        yield Api(client, client.app.state.memory_api)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # Not from the balancer: the header is anyone's to forge, the peer is the client.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # From the balancer: the entry it appended (right-most) names the client ...
        ("10.0.3.7", ["198.51.100.1"], "198.51.100.1"),
        # ... and what the client put in front of it is ignored.
        ("10.0.3.7", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        ("10.0.3.7", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),
        # Trusted hops on the right are skipped (a second proxy inside the network).
        ("10.0.3.7", ["6.6.6.6, 198.51.100.1, 10.0.9.9"], "198.51.100.1"),
        # Junk stops the walk at the last hop known: a client cannot mint identities.
        ("10.0.3.7", ["198.51.100.1, not-an-ip"], "10.0.3.7"),
        # No header (the balancer's own health checks): the balancer.
        ("10.0.3.7", [], "10.0.3.7"),
        # IPv6 counts per /64; IPv4-mapped addresses count as IPv4.
        ("10.0.3.7", ["2001:db8:1:2:aaaa::1"], "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", [], "203.0.113.9"),
        ("10.0.3.7", ["198.51.100.1:51234"], "198.51.100.1"),
    ],
)
def test_the_client_is_the_right_most_address_the_balancer_did_not_add(
    peer: str, forwarded: list[str], expected: str
) -> None:
    assert client_address(peer, forwarded, LB) == expected


def test_without_configured_balancers_forwarded_for_is_ignored() -> None:
    assert client_address("10.0.3.7", ["198.51.100.1"], []) == "10.0.3.7"


def test_a_catch_all_balancer_network_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="LOAD_BALANCER_CIDRS contains a /0"):
        Settings(
            _env_file=None,
            environment="production",
            database_url="postgresql+psycopg://u@db/memory",
            redis_url="rediss://cache:6379/0",
            qdrant_url="http://qdrant:6333",
            load_balancer_cidrs=["0.0.0.0/0"],
        )


def test_one_address_is_limited_across_all_its_keys(make_settings: SettingsFactory) -> None:
    settings = make_settings(rate_limit_per_minute=100, ip_rate_limit_per_minute=3, ip_rate_limit_per_hour=50)
    with api_from(settings, ("203.0.113.9", 5000)) as api:
        keys = [api.key("acme"), api.key("acme"), api.key("globex"), api.key("initech")]
        responses = [api.client.get("/v1/memories", headers=key) for key in keys]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
        refused = responses[-1]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert "client address" in refused.json()["error"]["message"]
        assert refused.json()["error"]["request_id"] == refused.headers["X-Request-ID"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "3;w=60;scope=address" in refused.headers["RateLimit-Policy"]


def test_behind_the_balancer_each_forwarded_client_has_its_own_budget(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        rate_limit_per_minute=100, ip_rate_limit_per_minute=2, load_balancer_cidrs=[str(LB[0])]
    )
    with api_from(settings, LB_PEER) as api:
        key = api.key("acme")

        def status(forwarded: str) -> int:
            return api.client.get("/v1/memories", headers={**key, "X-Forwarded-For": forwarded}).status_code

        assert [status("198.51.100.1") for _ in range(3)] == [200, 200, 429]
        # Another client behind the same balancer is not affected ...
        assert status("198.51.100.2") == 200
        # ... and the first cannot escape by prefixing a forged address.
        assert status("6.6.6.6, 198.51.100.1") == 429


def test_from_outside_the_balancer_network_forwarded_for_cannot_pick_a_budget(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(
        rate_limit_per_minute=100, ip_rate_limit_per_minute=2, load_balancer_cidrs=[str(LB[0])]
    )
    with api_from(settings, ("203.0.113.9", 5000)) as api:
        key = api.key("acme")
        statuses = [
            api.client.get("/v1/memories", headers={**key, "X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(3)
        ]
        assert statuses == [200, 200, 429]


def test_failed_authentications_are_counted_per_forwarded_client(make_settings: SettingsFactory) -> None:
    """Behind the balancer every connection has its address: one guesser must not lock out the rest."""
    settings = make_settings(auth_failures_per_minute=3, load_balancer_cidrs=[str(LB[0])])
    with api_from(settings, LB_PEER) as api:

        def status(forwarded: str, key: str) -> int:
            return api.client.get(
                "/v1/memories", headers={"X-API-Key": key, "X-Forwarded-For": forwarded}
            ).status_code

        assert [status("198.51.100.1", f"mem_guess{i}") for i in range(4)] == [401, 401, 401, 429]
        assert status("198.51.100.2", "mem_typo") == 401
        valid = api.key("acme")["X-API-Key"]
        assert status("198.51.100.2", valid) == 200
