"""The weekly digest by e-mail: one multipart message (text: the Markdown, alternative: the
HTML) through Django's e-mail backend, to `PULSE_DIGEST_TO`. Used by the Celery task
(`dashboard.tasks.send_weekly_digest`) and `manage.py digest --send`; nothing is sent, and
nothing fails, when no recipient is configured."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.http import QueryDict

from .definitions.weeks import iso_week_parse, last_complete_week
from .forms import FilterForm, Filters
from .metrics.digest import WeeklyDigest
from .pages.digest import weekly_digest_for
from .pages.digest_render import digest_html, digest_markdown


class DigestRequestError(ValueError):
    """A week or filter the digest cannot be made for, in plain words."""


def digest_filters(*, repos: list[str], org: str) -> Filters:
    """The page's filters from `--repo`/`--org` (or the task's arguments)."""
    query = QueryDict(mutable=True)
    for repo in repos:
        query.appendlist("repo", repo)
    if org:
        query["org"] = org
    form = FilterForm(query)
    if not form.is_valid():
        raise DigestRequestError(" ".join(form.problems()))
    return form.filters()


def digest_week(week: str, *, today: dt.date | None = None) -> dt.date:
    """The Monday of `week` (YYYY-Www), or of the last complete week when it is empty."""
    today = today or dt.datetime.now(dt.UTC).date()
    return iso_week_parse(week, today=today) if week else last_complete_week(today)


def digest_recipients() -> list[str]:
    return list(settings.PULSE_DIGEST_TO)


def digest_send(*, digest: WeeklyDigest, recipients: list[str]) -> int:
    """Send the digest to `recipients` as one message; the number of messages sent."""
    if not recipients:
        return 0
    message = EmailMultiAlternatives(
        subject=f"Pulse weekly digest {digest.week}",
        body=digest_markdown(digest),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach_alternative(digest_html(digest, document=True), "text/html")
    return message.send()


def weekly_digest_mail(*, week: str = "", repos: list[str] = (), org: str = "") -> int:
    """Build the week's digest and send it to PULSE_DIGEST_TO (0: nobody to send it to)."""
    recipients = digest_recipients()
    if not recipients:
        return 0
    digest = weekly_digest_for(
        filters=digest_filters(repos=list(repos), org=org), monday=digest_week(week)
    )
    return digest_send(digest=digest, recipients=recipients)
