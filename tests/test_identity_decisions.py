"""Who a commit counts for when GitHub does not link its e-mail (docs/metrics.md, "Contributor"):
the strong evidence (the first commits of a login's own pull requests, a profile's public
e-mail), admin decisions that win over every rule, co-authors keyed by the same rule, opaque
keys for e-mail-only people, and the admin page where decisions are made. Everything runs
through the real re-key pass, the derived rebuild and the dashboard's selectors."""

import datetime as dt
import itertools

import pytest
from django.core.management import call_command
from django.urls import reverse

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.newcomers import newcomers_list
from ingest.identity import author_key, commits_recompute_author_keys, git_key
from ingest.models import (
    Actor,
    Commit,
    CommitCoAuthor,
    FactChange,
    IdentityDecision,
    PullRequest,
)
from tests.factories import actor, at, pull_request, repository

pytestmark = pytest.mark.django_db

_shas = itertools.count(1)


def _commit(
    repo,
    when: str,
    *,
    name: str,
    email: str,
    author: Actor | None = None,
    pr: PullRequest | None = None,
    is_merge: bool = False,
) -> Commit:
    """A default-branch commit as ingest stores it (provisional key, the pull request GitHub
    associates it with)."""
    return Commit.objects.create(
        repository=repo,
        sha=f"{next(_shas):040x}",
        author=author,
        author_name=name,
        author_email=email,
        author_key=author_key(login=author.login if author else None, email=email, name=name),
        authored_at=at(when),
        committed_at=at(when),
        is_merge=is_merge,
        pull_request_number=pr.number if pr else None,
    )


def _keys_of(email: str) -> set[str]:
    return set(Commit.objects.filter(author_email=email).values_list("author_key", flat=True))


def _newcomers(repo, *, kind: str = "default") -> list[str]:
    derived_rebuild()
    rows = newcomers_list(
        repository_ids=[repo.pk],
        narrowed=True,
        kind=kind,
        since=dt.date(2020, 1, 1),
        until=dt.date(2025, 12, 31),
    )
    return sorted(row["person_key"] for row in rows)


# -- (a) a login's own pull requests ----------------------------------------------------------


def test_commits_with_an_unlinked_email_on_a_logins_own_pull_request_count_for_the_login():
    repo = repository("acme/alpha")
    chao = actor("chaotang")
    pr = pull_request(repo, chao, "2021-03-01", number=7, merged="2021-03-02")
    _commit(repo, "2021-03-01", name="chaotang", email="chaotang@corp.example.net", pr=pr)
    later = pull_request(repo, chao, "2021-06-01", number=9, merged="2021-06-02")
    _commit(repo, "2021-06-01", name="Chao Tang", email="chaotang@corp.example.net", pr=later)
    # The same e-mail on a commit pushed straight to the branch: the e-mail is the login's.
    _commit(repo, "2021-07-01", name="chaotang", email="chaotang@corp.example.net")

    assert commits_recompute_author_keys() == 3
    assert _keys_of("chaotang@corp.example.net") == {"login:chaotang"}
    # One person on the newcomers page, not a login beside an e-mail identity.
    assert _newcomers(repo) == ["login:chaotang"]


def test_a_maintainers_commit_on_someone_elses_pull_request_does_not_move_the_maintainer():
    repo = repository("acme/alpha")
    maya, ann, ben = actor("maya"), actor("ann"), actor("ben")
    maya_email = "maya@home.example.net"
    for number, when in ((1, "2021-01-10"), (2, "2021-02-10")):
        own = pull_request(repo, maya, when, number=number, merged=when)
        _commit(repo, when, name="Maya", email=maya_email, pr=own)
    # Maya pushes a fix onto Ann's pull request after Ann opened it with her own commit ...
    anns = pull_request(repo, ann, "2021-03-01", number=3, merged="2021-03-05")
    _commit(repo, "2021-03-01", name="Ann", email="ann@uni.example.net", pr=anns)
    _commit(repo, "2021-03-04", name="Maya", email=maya_email, pr=anns)
    # ... and Ben cherry-picks one of Maya's older commits as the first of his own.
    bens = pull_request(repo, ben, "2021-04-01", number=4, merged="2021-04-02")
    _commit(repo, "2021-01-20", name="Maya", email=maya_email, pr=bens)
    _commit(repo, "2021-04-01", name="Ben", email="ben@uni.example.net", pr=bens)

    commits_recompute_author_keys()
    assert _keys_of(maya_email) == {"login:maya"}
    assert _keys_of("ann@uni.example.net") == {"login:ann"}
    # Ben's pull request opens with Maya's commit: his own e-mail has no evidence there.
    assert _keys_of("ben@uni.example.net") == {git_key(email="ben@uni.example.net")}


def test_an_email_split_between_two_logins_pull_requests_joins_neither():
    repo = repository("acme/alpha")
    ann, ben = actor("ann"), actor("ben")
    shared = "team@shared.example.net"
    _commit(repo, "2021-01-01", name="Team", email=shared, pr=pull_request(repo, ann, "2021-01-01"))
    _commit(repo, "2021-02-01", name="Team", email=shared, pr=pull_request(repo, ben, "2021-02-01"))
    # A merge commit's author is whoever merged: never evidence.
    merged = pull_request(repo, ann, "2021-03-01", number=50)
    _commit(repo, "2021-03-01", name="Team", email=shared, pr=merged, is_merge=True)

    commits_recompute_author_keys()
    assert _keys_of(shared) == {git_key(email=shared)}


def test_pull_requests_of_bots_and_organisations_are_no_evidence():
    repo = repository("acme/alpha")
    bot = actor("renovate[bot]")
    org = Actor.objects.create(github_id=909, login="acme", type=Actor.Type.ORGANIZATION)
    _commit(
        repo,
        "2021-01-01",
        name="Ops",
        email="ops@acme.example.net",
        pr=pull_request(repo, bot, "2021-01-01"),
    )
    _commit(
        repo,
        "2021-02-01",
        name="Ops",
        email="ops@acme.example.net",
        pr=pull_request(repo, org, "2021-02-01"),
    )
    commits_recompute_author_keys()
    assert _keys_of("ops@acme.example.net") == {git_key(email="ops@acme.example.net")}


# -- (b) a profile's public e-mail, and GitHub's own link -------------------------------------


def test_a_profiles_public_email_joins_its_commits_to_the_login():
    repo = repository("acme/alpha")
    actor("dora", email="Dora@Mail.example.net")
    _commit(repo, "2022-01-01", name="D.", email="dora@mail.example.net")
    commits_recompute_author_keys()
    assert _keys_of("dora@mail.example.net") == {"login:dora"}


def test_githubs_link_wins_over_pull_request_evidence():
    repo = repository("acme/alpha")
    ann, ben = actor("ann"), actor("ben")
    # GitHub links the e-mail to Ann (a verified e-mail of hers) ...
    _commit(repo, "2021-01-01", name="Ann", email="ann@x.example.net", author=ann)
    # ... so a commit with it that opens Ben's pull request (unlinked, as a mirror may serve
    # it) stays Ann's.
    bens = pull_request(repo, ben, "2021-02-01")
    _commit(repo, "2021-02-01", name="Ann", email="ann@x.example.net", pr=bens)
    commits_recompute_author_keys()
    assert _keys_of("ann@x.example.net") == {"login:ann"}


def test_two_accounts_never_join():
    repo = repository("acme/alpha")
    wl1, wl2 = actor("wanglei-1"), actor("wanglei-2")
    # Two people named Wang Lei: one linked by GitHub, one known by their pull request.
    _commit(repo, "2020-01-01", name="Wang Lei", email="wl@one.example.net", author=wl1)
    _commit(
        repo,
        "2021-01-01",
        name="Wang Lei",
        email="wl@two.example.net",
        pr=pull_request(repo, wl2, "2021-01-01"),
    )
    # A third e-mail under that name alone could be either of them: it joins neither.
    _commit(repo, "2022-01-01", name="wang lei", email="wl@three.example.net")
    commits_recompute_author_keys()
    assert _keys_of("wl@one.example.net") == {"login:wanglei-1"}
    assert _keys_of("wl@two.example.net") == {"login:wanglei-2"}
    assert _keys_of("wl@three.example.net") == {git_key(email="wl@three.example.net")}
    assert _newcomers(repo, kind="commit") == sorted(
        ["login:wanglei-1", "login:wanglei-2", git_key(email="wl@three.example.net")]
    )


# -- (c) admin decisions win ----------------------------------------------------------------


def test_an_admin_separate_beats_every_rule_and_a_later_join_beats_it():
    repo = repository("acme/alpha")
    chao = actor("chaotang")
    _commit(
        repo,
        "2021-03-01",
        name="chaotang",
        email="ct@corp.example.net",
        pr=pull_request(repo, chao, "2021-03-01"),
    )
    _commit(repo, "2021-04-01", name="chaotang", email="ct@home.example.net", author=chao)
    commits_recompute_author_keys()
    assert _keys_of("ct@corp.example.net") == {"login:chaotang"}

    # The pull request and the name both say chaotang; the admin says no (any case).
    IdentityDecision.objects.create(email="CT@Corp.example.net ", action="separate", reason="x")
    commits_recompute_author_keys()
    assert _keys_of("ct@corp.example.net") == {git_key(email="ct@corp.example.net")}
    # It even beats GitHub's own link.
    IdentityDecision.objects.create(email="ct@home.example.net", action="separate")
    commits_recompute_author_keys()
    assert _keys_of("ct@home.example.net") == {git_key(email="ct@home.example.net")}

    # The latest decision per e-mail is the one in effect.
    IdentityDecision.objects.create(email="ct@corp.example.net", action="join", login="ChaoTang")
    commits_recompute_author_keys()
    assert _keys_of("ct@corp.example.net") == {"login:chaotang"}  # spelled as the account is


def test_an_admin_join_beats_the_rules():
    repo = repository("acme/alpha")
    ann = actor("ann")
    actor("ben")
    _commit(
        repo,
        "2021-01-01",
        name="Ann",
        email="a@x.example.net",
        pr=pull_request(repo, ann, "2021-01-01"),
    )
    _commit(repo, "2021-02-01", name="Nobody", email="n@x.example.net")
    IdentityDecision.objects.create(email="a@x.example.net", action="join", login="ben")
    IdentityDecision.objects.create(email="n@x.example.net", action="join", login="ben")
    commits_recompute_author_keys()
    assert _keys_of("a@x.example.net") == {"login:ben"}
    assert _keys_of("n@x.example.net") == {"login:ben"}
    assert _newcomers(repo, kind="commit") == ["login:ben"]


# -- co-authors and keys ----------------------------------------------------------------------


def test_co_authors_are_keyed_by_the_same_rule_and_their_repositories_recorded():
    alpha, beta = repository("acme/alpha"), repository("acme/beta")
    chao = actor("chaotang")
    _commit(
        alpha,
        "2021-03-01",
        name="chaotang",
        email="ct@corp.example.net",
        pr=pull_request(alpha, chao, "2021-03-01"),
    )
    host = _commit(beta, "2021-05-01", name="Ann", email="ann@x.example.net")
    for position, (name, email) in enumerate(
        [("Chao", "ct@corp.example.net"), ("Quinn", "quinn@x.example.net")], start=1
    ):
        CommitCoAuthor.objects.create(
            commit=host,
            repository=beta,
            position=position,
            name=name,
            email=email,
            author_key=author_key(login=None, email=email),
        )
    FactChange.objects.all().delete()

    commits_recompute_author_keys()
    co_keys = dict(CommitCoAuthor.objects.values_list("email", "author_key"))
    assert co_keys == {
        "ct@corp.example.net": "login:chaotang",
        "quinn@x.example.net": git_key(email="quinn@x.example.net"),
    }
    # Beta's derived data counts its co-authors by these keys: its change is recorded.
    assert beta.pk in set(FactChange.objects.values_list("repository_id", flat=True))
    FactChange.objects.all().delete()
    assert commits_recompute_author_keys() == 0
    assert not FactChange.objects.exists()


def test_no_person_key_carries_an_email_address():
    repo = repository("acme/alpha")
    for n, (name, email) in enumerate(
        [
            ("Li Lei", "lilei@corp.example.net"),
            ("Bob", "you@example.com"),
            ("root", "r@localhost"),
            ("", ""),
            ("Claude Opus", "noreply@anthropic.com"),
            ("weird", "not-an-address"),
        ]
    ):
        _commit(repo, f"2021-01-{n + 1:02d}", name=name, email=email)
    commits_recompute_author_keys()
    keys = set(Commit.objects.values_list("author_key", flat=True))
    assert len(keys) == 6
    assert not any("@" in key for key in keys), keys
    # A bot without an account is marked so that the dashboard's bot rule sees it.
    assert git_key(email="noreply@anthropic.com") + "[bot]" in keys


def test_the_demo_world_counts_nobody_twice():
    """No e-mail identity beside the login whose pull requests open with that e-mail."""
    call_command("demo", seed=3, scale="small", stdout=open("/dev/null", "w"))
    unlinked = Commit.objects.filter(author__isnull=True, pull_request_number__isnull=False)
    authors = {
        (pr.repository_id, pr.number): pr.author.login
        for pr in PullRequest.objects.filter(author__type="User").select_related("author")
    }
    checked = 0
    for c in unlinked.filter(is_merge=False):
        login = authors.get((c.repository_id, c.pull_request_number))
        if login:
            checked += 1
            assert c.author_key == f"login:{login}", (c.author_key, login)
    assert checked > 0
    assert not Commit.objects.filter(author_key__contains="@").exists()


# -- the admin page -------------------------------------------------------------------------


def test_an_admin_decision_is_recorded_with_its_author_and_rekeys_after_the_save(
    admin_client, django_capture_on_commit_callbacks
):
    repo = repository("acme/alpha")
    actor("Ben-G")
    _commit(repo, "2021-02-01", name="B", email="b@x.example.net")
    FactChange.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(
            reverse("admin:ingest_identitydecision_add"),
            {"email": " B@x.example.net", "action": "join", "login": "ben-g", "reason": "asked"},
        )
    assert answer.status_code == 302
    decision = IdentityDecision.objects.get()
    assert (decision.email, decision.login, decision.decided_by) == (
        "B@x.example.net",
        "Ben-G",
        "admin",
    )
    assert _keys_of("b@x.example.net") == {"login:Ben-G"}
    assert list(FactChange.objects.values_list("repository_id", flat=True)) == [repo.pk]

    listing = admin_client.get(reverse("admin:ingest_identitydecision_changelist") + "?q=ben")
    text = listing.content.decode()
    assert listing.status_code == 200 and "B@x.example.net" in text and "asked" in text


def test_admin_decisions_are_append_only_and_a_join_needs_a_known_person(admin_client):
    decision = IdentityDecision.objects.create(email="a@x.example.net", action="separate")
    change = reverse("admin:ingest_identitydecision_change", args=[decision.pk])
    assert admin_client.get(change).status_code == 200  # shown, read-only
    admin_client.post(change, {"email": "z@x.example.net", "action": "separate"})
    assert IdentityDecision.objects.get().email == "a@x.example.net"
    delete = reverse("admin:ingest_identitydecision_delete", args=[decision.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert IdentityDecision.objects.count() == 1

    add = reverse("admin:ingest_identitydecision_add")
    answer = admin_client.post(
        add, {"email": "a@x.example.net", "action": "join", "login": "nobody"}
    )
    assert answer.status_code == 200 and "has been ingested" in answer.content.decode()
    answer = admin_client.post(add, {"email": "a@x.example.net", "action": "join", "login": ""})
    assert answer.status_code == 200 and IdentityDecision.objects.count() == 1
