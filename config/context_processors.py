"""What every page's template needs from the settings: whether this is the demo world."""

from django.conf import settings
from django.http import HttpRequest


def pulse(request: HttpRequest) -> dict:
    return {"pulse_demo": settings.PULSE_DEMO}
