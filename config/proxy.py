"""Which address a request came from, behind the reverse proxies named in ``TRUSTED_PROXIES``.

Rate limits count per client address. Behind a TLS proxy every request arrives from the
proxy's address, so the client's own address must come from ``X-Forwarded-For``, which the
proxy appends to. But anybody can send that header: it is believed only when the request
arrived from a trusted proxy, and only as far back as the hops that are themselves trusted
proxies (each proxy appends the address it received the request from, so the rightmost
untrusted entry is the first address no proxy of ours vouched for).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES entry {entry!r} is not an IP address or network "
                "(e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from error
    return tuple(networks)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # [2001:db8::1]:443
        address = address[1:address.index("]")]
    elif address.count(":") == 1:  # 203.0.113.9:51234
        address = address.split(":")[0]
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, when that is a trusted proxy, the rightmost
    ``X-Forwarded-For`` entry that is not a trusted proxy. None if no address can be read."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    trusted = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if remote is None or not trusted:
        return str(remote) if remote else None

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    client = remote
    hops = request.headers.get("X-Forwarded-For", "").split(",")
    for hop in reversed(hops):
        if not is_trusted(client):
            break
        address = _parse(hop)
        if address is None:  # an empty or garbled entry: believe nothing further left
            break
        client = address
    return str(client)
