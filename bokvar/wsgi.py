import os

from django.core.wsgi import get_wsgi_application

from bokvar.checks import refuse_bad_keys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
application = get_wsgi_application()
# The web server runs no system checks: it refuses bad or public keys here (bokvar.checks).
refuse_bad_keys()
