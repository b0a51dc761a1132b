import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
application = get_wsgi_application()

# The web server runs no system checks: refuse bad or public keys here (bokvar.checks).
from bokvar.checks import refuse_bad_keys  # noqa: E402

refuse_bad_keys()
