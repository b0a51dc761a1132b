"""Two test processes never take the same "first free port" (tests/live_http.py): each
takes its own share of BOKVAR_TEST_PORTS, so one process's server cannot bind the port
another has just probed for its own server."""

from __future__ import annotations

from tests import live_http


def test_each_test_process_takes_its_own_ports(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    chosen = {}
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        chosen[worker] = live_http.free_port()
    assert chosen["gw0"] != chosen["gw1"]
    ports = live_http.port_range(live_http.PORTS)
    assert set(chosen.values()) <= set(ports)
    # The shares are disjoint: every second port, from the first and from the second.
    assert (chosen["gw0"] - ports[0]) % 2 == 0
    assert (chosen["gw1"] - ports[0]) % 2 == 1
