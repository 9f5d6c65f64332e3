"""The client's address, as the per-address limits count it.

Behind the load balancer every connection comes from the balancer, so the client is named in
``X-Forwarded-For``, which the balancer appends to: ``<whatever the client sent>, <client>``. Only
entries the trusted proxies added can be believed, so the chain is read from the right: skip the
entries inside ``LOAD_BALANCER_CIDRS`` and take the first one that is not (the right-most untrusted
address). Without a trusted peer the header is ignored (anyone can send it) and the peer is the client.

IPv6 addresses count per /64: one subscriber usually holds a whole /64, so counting single addresses
would let one client multiply its limit by 2^64.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_CLIENT_PREFIX = 64


@lru_cache(maxsize=4096)
def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    candidate = address.strip()
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "192.0.2.1:443"
        candidate = candidate.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _label(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Sequence[IPNetwork]) -> str:
    """The address the limits count for a request from ``peer`` with these ``X-Forwarded-For`` values.

    An entry that is not an address stops the walk: the nearest hop to its right (at worst the
    balancer itself) is the last one known, so a client cannot mint fresh identities with junk.
    """
    peer_address = _parse(peer)
    if peer_address is None:  # not an IP (a Unix socket, a test client): its name is all there is
        return peer
    if not trusted or not _trusted(peer_address, trusted):
        return _label(peer_address)
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    known = peer_address
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        known = address
        if not _trusted(address, trusted):
            break
    return _label(known)
