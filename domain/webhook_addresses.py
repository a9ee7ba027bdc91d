"""Where a webhook may not go in production: escr's own machine (loopback, the unspecified
address) and the link-local range (the cloud's metadata service, 169.254.169.254), however the
address is spelled. A council's private network stays allowed: its CMS lives there.

Resolvers take more spellings than `ipaddress` does ("127.1", "2130706433", "0x7f000001",
"0177.0.0.1", "0"), and an IPv4-mapped IPv6 address ("::ffff:127.0.0.1") reaches the IPv4
one, so both are read here as the resolver reads them."""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCAL_NAMES = ("localhost", "localhost.localdomain")
# Cloud metadata services outside the link-local range (169.254.169.254, Azure's, GCP's,
# Oracle's and AWS's IPv4 one, are link-local): AWS's IPv6 endpoint and Alibaba Cloud's.
METADATA = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200"))


def literal_address(host: str) -> Address | None:
    """The address a host names without DNS, in any spelling a resolver takes; None for a name."""
    bare = host.strip("[]").split("%", 1)[0]  # an IPv6 zone (fe80::1%eth0) is still link-local
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def forbidden(address: Address) -> bool:
    """This machine, the unspecified address, link-local or a cloud's metadata service
    (IPv4-mapped IPv6 read as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address in METADATA
    )


def forbidden_host(host: str) -> bool:
    """A URL's host that names this machine or a link-local address without DNS."""
    name = host.lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    address = literal_address(name)
    return address is not None and forbidden(address)
