"""Identity rules: bots, affiliation (with dated overrides) and the key a commit counts for."""

import hashlib
from datetime import UTC, date, datetime

import pytest

from ingest.identity import (
    affiliation_from,
    affiliation_on,
    author_key,
    commits_recompute_author_keys,
    git_key,
    is_bot,
    noreply_login,
)
from ingest.models import Actor, AffiliationOverride, Commit, Repository


def test_bots_by_type_suffix_and_configured_list():
    assert is_bot(login="dependabot[bot]")
    assert is_bot(login="renovate", actor_type="Bot")
    assert is_bot(login="sofastack-robot", extra_bots={"sofastack-robot"})
    assert not is_bot(login="alice")


@pytest.mark.parametrize(
    ("company", "email", "expected"),
    [
        ("Ant Group", "", ("home", "company")),
        ("@antgroup", "", ("home", "company")),
        ("蚂蚁集团", "", ("home", "company")),
        ("ALIPAY.com", "", ("home", "company")),
        ("", "bob@antgroup.com", ("home", "email")),
        ("", "bob@mail.alipay.com", ("home", "email")),
        ("Tencent", "bob@antgroup.com", ("home", "email")),
        ("Tencent", "", ("external", "company")),
        ("", "bob@gmail.com", ("external", "email")),
        ("", "1+bob@users.noreply.github.com", ("unknown", "none")),
        ("", "", ("unknown", "none")),
    ],
)
def test_affiliation_from_company_and_email(company, email, expected):
    assert affiliation_from(company=company, email=email) == expected


def test_noreply_addresses_name_their_login():
    assert noreply_login("12345+Alice-B@users.noreply.github.com") == "Alice-B"
    assert noreply_login("alice@users.noreply.github.com") == "alice"
    assert noreply_login("alice@example.com") is None


def test_author_key_rules():
    assert author_key(login="alice", email="x@y.z") == "login:alice"
    assert author_key(login=None, email="7+bob@users.noreply.github.com") == "login:bob"
    assert author_key(login=None, email=" Carol@Example.COM ") == git_key(email="carol@example.com")
    assert (
        author_key(
            login=None, email="Carol@example.com", linked_emails={"carol@example.com": "carol"}
        )
        == "login:carol"
    )


def test_an_email_only_key_is_opaque_stable_and_case_insensitive():
    key = git_key(email=" Carol@Example.ORG ")
    # The first 16 hex digits of SHA-256 of the trimmed, lower-cased e-mail: the same on every
    # machine and every run, and no address in it.
    assert key == "git:" + hashlib.sha256(b"carol@example.org").hexdigest()[:16]
    assert key == git_key(email="carol@example.org") != git_key(email="dan@example.org")
    assert "@" not in key and "carol" not in key


def _commit(repo, sha, *, author=None, email, when):
    return Commit.objects.create(
        repository=repo,
        sha=sha,
        author=author,
        author_email=email,
        author_key=author_key(login=author.login if author else None, email=email),
        authored_at=when,
        committed_at=when,
    )


@pytest.mark.django_db
def test_unlinked_commits_rekeyed_once_their_email_is_seen_on_a_linked_commit():
    one = Repository.objects.create(github_id=1, owner_login="o", name="a", full_name="o/a")
    two = Repository.objects.create(github_id=2, owner_login="o", name="b", full_name="o/b")
    carol = Actor.objects.create(github_id=10, login="carol")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    old = _commit(one, "a" * 40, email="Carol@Example.org", when=when)
    stranger = _commit(one, "b" * 40, email="dan@example.org", when=when)
    assert old.author_key == git_key(email="carol@example.org")
    _commit(two, "c" * 40, author=carol, email="carol@example.org", when=when)
    assert commits_recompute_author_keys() == 1
    old.refresh_from_db()
    stranger.refresh_from_db()
    assert old.author_key == "login:carol"
    assert stranger.author_key == git_key(email="dan@example.org")


@pytest.mark.django_db
def test_affiliation_on_applies_dated_overrides_first():
    Actor.objects.create(github_id=11, login="erin", company="Ant Group")
    AffiliationOverride.objects.create(
        login="erin", organization="Freelance", is_home=False, end=date(2021, 12, 31)
    )
    assert affiliation_on(login="erin", on=date(2021, 6, 1)) == "external"
    assert affiliation_on(login="erin", on=date(2023, 6, 1)) == "home"
    assert affiliation_on(email="x@antfin.com", on=date(2023, 6, 1)) == "home"
    assert affiliation_on(login="nobody", on=date(2023, 6, 1)) == "unknown"
