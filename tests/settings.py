"""Test settings: production settings with test-only defaults for what a test run lacks."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# Tests and benchmarks point GITHUB_API_URL at the simulator on loopback (subprocesses inherit
# this); a test of the refusal sets it to false explicitly.
os.environ.setdefault("PULSE_ALLOW_PRIVATE_API", "true")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Production settings use WhiteNoise's manifest storage, which needs `collectstatic` first;
# tests render templates without it (tests/test_production.py covers the production path).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
