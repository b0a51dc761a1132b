import os

from django.core.wsgi import get_wsgi_application

from bokvar import heap
from bokvar.checks import refuse_bad_keys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
application = get_wsgi_application()
# The web server runs no system checks: it refuses bad or public keys here (bokvar.checks).
refuse_bad_keys()
# Every view imported, then the start-up's objects out of the collector's way (bokvar/heap.py).
heap.settle()
