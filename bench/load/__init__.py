"""The load test: many signed-in people at once against gunicorn and PostgreSQL
(`make load`, see docs/performance.md)."""
