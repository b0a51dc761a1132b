"""The load test's settings: Bo Kvar's own (run with DEBUG off by bench.load.run),
with cookies that travel over plain HTTP. Production marks the session and CSRF cookies
Secure (sent over HTTPS only); the load test talks HTTP to 127.0.0.1, and locust's
cookie jar, like a browser's, would not send them back. Nothing else differs."""

from bokvar.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
