"""Joining a person's git identities (docs/metrics.md, "Contributor"): the union-find rule on
hand-made identities, and what the dashboard counts once commits are re-keyed."""

import datetime as dt
import itertools

import pytest

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.newcomers import new_contributors_by_year
from ingest.identity import author_key, commits_recompute_author_keys, git_key, resolve_identities
from ingest.models import Actor, Commit
from tests.factories import at, repository


def ident(
    name: str,
    email: str,
    *,
    login: str | None = None,
    first: str = "2020-01-01",
    last: str | None = None,
    bot: bool = False,
) -> dict:
    return {
        "name": name,
        "email": email,
        "login": login,
        "first_at": at(first),
        "last_at": at(last or first),
        "bot": bot,
    }


def test_two_emails_under_one_name_are_one_person_keyed_by_the_earliest_email():
    keys = resolve_identities(
        [
            ident("Li  Lei", "lilei@work.example.net", first="2021-05-01"),
            ident("li lei", "lilei@gmail.com", first="2019-03-01"),
            ident("Han Meimei", "han@gmail.com"),
        ]
    )
    lilei = git_key(email="lilei@gmail.com")
    assert keys == [lilei, lilei, git_key(email="han@gmail.com")]


def test_joins_are_transitive_and_an_email_seen_on_a_linked_commit_names_the_account():
    keys = resolve_identities(
        [
            ident("Alice", "alice@home.net"),
            ident("alice-w", "ALICE@home.net "),  # same e-mail, other name
            ident("alice-w", "aw@corp.net", login="alice-w"),  # same name, linked by GitHub
        ]
    )
    assert keys == ["login:alice-w"] * 3


def test_generic_names_and_placeholder_emails_never_join_people():
    keys = resolve_identities(
        [
            ident("root", "ops@one.net"),
            ident("root", "admin@two.net"),
            ident("ubuntu", "x@localhost"),
            ident("ubuntu", "y@localhost"),
            ident("Bob", "you@example.com"),
            ident("Carol", "you@example.com"),
        ]
    )
    assert keys[:2] == [git_key(email="ops@one.net"), git_key(email="admin@two.net")]
    # Placeholder e-mails name nobody: each person keeps a key of their own (e-mail and name).
    assert keys[2:] == [
        git_key(email="x@localhost", name="ubuntu"),
        git_key(email="y@localhost", name="ubuntu"),
        git_key(email="you@example.com", name="Bob"),
        git_key(email="you@example.com", name="Carol"),
    ]
    assert len(set(keys)) == 6


def test_two_linked_accounts_sharing_a_display_name_stay_two_people():
    keys = resolve_identities(
        [
            ident("Zhang Wei", "zw@a.net", login="zhangwei-a", first="2019-01-01"),
            ident("Zhang Wei", "zw@b.net", login="zhangwei-b", first="2020-01-01"),
            ident("zhang wei", "zw@a.net", first="2021-01-01"),  # e-mail of account a
            ident("Zhang Wei", "zw@c.net", first="2022-01-01"),  # only the name: which of them?
            ident("Li Na", "na@d.net", login="lina", first="2019-01-01"),
            ident("li na", "na@e.net", first="2022-01-01"),  # a name only one account goes by
        ]
    )
    assert keys == [
        "login:zhangwei-a",
        "login:zhangwei-b",
        "login:zhangwei-a",
        git_key(email="zw@c.net"),
        "login:lina",
        "login:lina",
    ]


def test_noreply_numeric_id_survives_a_login_rename():
    keys = resolve_identities(
        [
            ident("faraway", "20223723+farawayliu@users.noreply.github.com", first="2021-11-30"),
            ident("释慧利", "20223723+shihuili1218@users.noreply.github.com", first="2022-07-29"),
            ident("释慧利", "gege@qq.com", first="2023-01-01"),
        ]
    )
    assert keys == ["login:shihuili1218"] * 3  # the login of the latest commit
    # Once GitHub links the new login, the old address joins that account.
    linked = resolve_identities(
        [
            ident("faraway", "20223723+farawayliu@users.noreply.github.com", first="2021-11-30"),
            ident("x", "20223723+shihuili1218@users.noreply.github.com", login="shihuili1218"),
        ]
    )
    assert linked == ["login:shihuili1218"] * 2


def test_whitespace_free_name_equal_to_a_login_joins_it_and_bots_join_nobody():
    keys = resolve_identities(
        [
            ident("horizonzy", "horizon@apache.org", first="2020-01-01"),
            ident("Horizon", "1+HorizonZY@users.noreply.github.com", first="2021-01-01"),
            ident(
                "dependabot[bot]",
                "49699333+dependabot[bot]@users.noreply.github.com",
                login="dependabot[bot]",
                bot=True,
            ),
            ident("Horizon", "bot@renovate.example.org", bot=True),
        ]
    )
    assert keys[:2] == ["login:HorizonZY", "login:HorizonZY"]
    assert keys[2] == "login:dependabot[bot]"
    # A bot without an account keeps its own key, marked so that every reader sees a bot.
    assert keys[3] == git_key(email="bot@renovate.example.org") + "[bot]"


_shas = itertools.count(1)


def _commit(repo, when: str, *, name: str, email: str, author: Actor | None = None) -> Commit:
    return Commit.objects.create(
        repository=repo,
        sha=f"{next(_shas):040x}",
        author=author,
        author_name=name,
        author_email=email,
        author_key=author_key(login=author.login if author else None, email=email),
        authored_at=at(when),
        committed_at=at(when),
    )


@pytest.mark.django_db
def test_a_person_with_two_emails_is_one_newcomer_on_the_dashboard():
    rpc, jraft = repository("sofastack/sofa-rpc"), repository("sofastack/sofa-jraft")
    zw_a = Actor.objects.create(github_id=71, login="zhangwei-a")
    zw_b = Actor.objects.create(github_id=72, login="zhangwei-b")
    _commit(rpc, "2021-02-01", name="Li Lei", email="lilei@corp.net")
    _commit(jraft, "2022-03-01", name="Li Lei", email="lilei@gmail.com")
    _commit(rpc, "2022-04-01", name="root", email="r1@host.net")
    _commit(rpc, "2022-05-01", name="root", email="r2@host.net")
    _commit(rpc, "2021-06-01", name="Zhang Wei", email="a@zw.net", author=zw_a)
    _commit(rpc, "2022-07-01", name="Zhang Wei", email="b@zw.net", author=zw_b)
    assert commits_recompute_author_keys() == 1  # Li Lei's second e-mail
    assert commits_recompute_author_keys() == 0  # nothing left to change
    assert set(Commit.objects.values_list("author_key", flat=True)) == {
        git_key(email="lilei@corp.net"),
        git_key(email="r1@host.net"),
        git_key(email="r2@host.net"),
        "login:zhangwei-a",
        "login:zhangwei-b",
    }
    derived_rebuild()
    rows = new_contributors_by_year(
        repository_ids=[rpc.pk, jraft.pk],
        narrowed=False,
        kind="commit",
        until=dt.date(2022, 12, 31),
    )
    # 2021: Li Lei, zhangwei-a; 2022: the two "root"s and zhangwei-b (Li Lei is not new).
    assert {r["year"]: r["new_contributors"] for r in rows} == {2021: 2, 2022: 3}
