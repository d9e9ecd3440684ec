"""Error reports (the DEBUG 500 page, error e-mails) without credentials.

Django's own filter hides settings and META entries whose *names* look secret (PASSWORD,
TOKEN, KEY…), but Pulse's credentials travel inside URLs whose names do not: DATABASE_URL,
CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CACHE_URL (runserver copies the whole environment
into request.META, so the debug page listed them with their passwords), and libpq connection
strings in the database driver's frame variables. Here every string shown — settings, META,
frame variables, the exception's message — loses the password of any `scheme://user:pass@`
URL, any `password=…` pair, and the literal values of the configured secrets.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

HIDDEN = "********************"
URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)")
PAIR_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)
URL_SETTINGS = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")


@lru_cache(maxsize=1)
def _secret_values() -> tuple[str, ...]:
    """The configured secrets themselves, wherever they might be quoted."""
    values = set(getattr(settings, "GITHUB_TOKENS", []) or [])
    values.add(getattr(settings, "SECRET_KEY", "") or "")
    for name in URL_SETTINGS:
        for source in (os.environ.get(name), getattr(settings, name, None)):
            if isinstance(source, str) and "://" in source:
                password = urlsplit(source).password
                if password:
                    values.add(password)
    # Short strings would blank out ordinary words; a real secret is longer.
    return tuple(sorted((v for v in values if len(v) >= 6), key=len, reverse=True))


def scrub(text: str) -> str:
    """`text` with passwords in URLs and connection strings, and known secrets, hidden."""
    text = URL_PASSWORD.sub(lambda m: m.group("head") + HIDDEN, text)
    text = PAIR_PASSWORD.sub(lambda m: m.group("head") + HIDDEN, text)
    for secret in _secret_values():
        if secret in text:
            text = text.replace(secret, HIDDEN)
    return text


class SecretsHidingFilter(SafeExceptionReporterFilter):
    """Django's filter, plus credentials inside values (see the module docstring)."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DSN", flags=re.IGNORECASE
    )

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return scrub(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self._cleanse_variable(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def _cleanse_variable(self, value):
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, dict | list | tuple):
            return self.cleanse_setting("", value)
        try:
            shown = repr(value)
        except Exception:  # a broken __repr__: the reporter shows its own placeholder
            return value
        hidden = scrub(shown)
        return value if hidden == shown else hidden


class SecretsHidingReporter(ExceptionReporter):
    """The exception's own message goes through the same scrubbing (a driver may quote its
    connection string in it)."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if isinstance(data.get("exception_value"), str):
            data["exception_value"] = scrub(data["exception_value"])
        return data
