#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

EXIT_CONFIGURATION = 2  # as `manage.py ingest` (DESIGN.md)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A missing or malformed setting is the operator's to fix: one line that names it,
        # not a traceback through Django's start-up.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(EXIT_CONFIGURATION)


if __name__ == "__main__":
    main()
