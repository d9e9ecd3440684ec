"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.startup import loaded_objects_freeze  # noqa: E402 (needs the settings above)

loaded_objects_freeze()
