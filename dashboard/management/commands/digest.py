"""`manage.py digest [--week YYYY-Www] [--repo owner/name]… [--org ORG] [--format markdown|html]
[--output FILE] [--send]`: the weekly digest the page `/digest/` shows, as Markdown (default) or
a whole HTML document; `--send` also e-mails it to PULSE_DIGEST_TO.

Exit codes: 0 done; 1 the e-mail could not be sent or the file written; 2 a bad week or filter,
or `--send` without PULSE_DIGEST_TO (the message says which).
"""

import smtplib

from django.core.management.base import BaseCommand, CommandError

from dashboard.definitions.weeks import WeekError
from dashboard.mail import (
    DigestRequestError,
    digest_filters,
    digest_recipients,
    digest_send,
    digest_week,
)
from dashboard.pages.digest import weekly_digest_for
from dashboard.pages.digest_render import digest_html, digest_markdown


class Command(BaseCommand):
    help = "Write the weekly digest (new contributors, merged work, roles, waiting reviews, flags)."

    def add_arguments(self, parser):
        parser.add_argument("--week", default="", help="ISO week YYYY-Www (default: last week)")
        parser.add_argument("--repo", action="append", default=[], help="owner/name, repeatable")
        parser.add_argument("--org", default="")
        parser.add_argument("--format", choices=("markdown", "html"), default="markdown")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--send", action="store_true", help="also e-mail it (PULSE_DIGEST_TO)")

    def handle(self, *args, **options):
        try:
            monday = digest_week(options["week"])
            filters = digest_filters(repos=options["repo"], org=options["org"])
        except (WeekError, DigestRequestError) as error:
            raise CommandError(str(error), returncode=2) from None
        recipients = digest_recipients()
        if options["send"] and not recipients:
            raise CommandError(
                "--send needs PULSE_DIGEST_TO (comma-separated e-mail addresses) in the "
                "environment, and the SMTP settings (EMAIL_HOST, EMAIL_PORT, …).",
                returncode=2,
            )
        digest = weekly_digest_for(filters=filters, monday=monday)
        text = (
            digest_html(digest, document=True)
            if options["format"] == "html"
            else digest_markdown(digest)
        )
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as out:
                    out.write(text)
            except OSError as error:
                raise CommandError(f"could not write {options['output']}: {error}") from None
            self.stderr.write(f"digest {digest.week} written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
        if options["send"]:
            try:
                sent = digest_send(digest=digest, recipients=recipients)
            except (smtplib.SMTPException, OSError) as error:
                raise CommandError(f"the digest could not be e-mailed: {error}") from None
            self.stderr.write(f"digest {digest.week} e-mailed to {len(recipients)} recipient(s)")
            if not sent:
                raise CommandError("the e-mail backend sent nothing.")
