"""The client address: X-Forwarded-For is believed only as far as our own proxies wrote it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from bokvar.net import client_ip

PROXIES = {"TRUSTED_PROXIES": ["10.0.0.0/8", "::1"]}


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.BOKVAR = {}
    assert client_ip(_request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # Our proxy appended the client it saw.
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # The client forged a first hop; our proxy's hop is the one we believe.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two of our proxies in a row.
        ("10.0.0.2", "198.51.100.7, 10.0.0.9", "198.51.100.7"),
        # Not from a trusted proxy: the header proves nothing.
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),
        # A malformed hop stops the walk at the last address a proxy vouched for.
        ("10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("::1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_forwarded_for_is_peeled_from_the_right(settings, remote, forwarded, expected):
    settings.BOKVAR = PROXIES
    assert client_ip(_request(remote, forwarded)) == expected


def test_lockout_counts_the_address_our_proxy_saw(settings):
    from axes.helpers import get_client_ip_address

    settings.BOKVAR = PROXIES
    assert get_client_ip_address(_request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
