"""The load test's WSGI application: bokvar/wsgi.py with the production settings, less
its refusal of the public development keys, which the benchmark data is encrypted with
(bench/production.py). Served by bench.load.run on 127.0.0.1 only; never deploy it."""

import os

from django.core.wsgi import get_wsgi_application

# Set, not defaulted: bench.load.run passes its own DJANGO_SETTINGS_MODULE on.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.load.settings"
application = get_wsgi_application()
