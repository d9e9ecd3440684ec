"""The affiliation rule's plain functions (docs/metrics.md, "Affiliation")."""

from datetime import date

from dashboard.definitions.affiliation import (
    Override,
    Spell,
    affiliation_on,
    domain_affiliation,
    organisation_domain,
    profile_affiliation,
)


def test_personal_addresses_name_no_employer():
    for email in [
        "someone@gmail.com",
        "Someone@QQ.com",
        "x@163.com",
        "x@yahoo.co.jp",
        "12345+x@users.noreply.github.com",
        "x@apache.org",
        "x@localhost",
        "not an address",
        "",
    ]:
        assert organisation_domain(email) == "", email
    assert organisation_domain("x@cmss.chinamobile.com") == "cmss.chinamobile.com"
    assert domain_affiliation("antgroup.com") == "home"
    assert domain_affiliation("mail.antfin.com") == "home"  # a home domain's subdomain
    assert domain_affiliation("cmss.chinamobile.com") == "external"


def test_profile_company_then_public_email():
    assert profile_affiliation(company="Ant Group", email="") == "home"
    assert profile_affiliation(company="@antgroup", email="") == "home"
    assert profile_affiliation(company="Globex", email="x@antgroup.com") == "external"
    assert profile_affiliation(company="N/A", email="") == "unknown"
    assert profile_affiliation(company="", email="x@gmail.com") == "unknown"
    assert profile_affiliation(company="", email="x@alibaba-inc.com") == "home"


def test_override_then_email_at_the_time_then_profile():
    spells = [
        Spell(first=date(2020, 1, 1), last=date(2020, 12, 31), affiliation="home"),
        Spell(first=date(2020, 6, 1), last=date(2021, 6, 30), affiliation="external"),
    ]
    overrides = [Override(start=date(2021, 1, 1), end=date(2021, 1, 31), is_home=True)]

    def on(day: str) -> tuple[str, str]:
        return affiliation_on(
            day=date.fromisoformat(day), overrides=overrides, spells=spells, profile="unknown"
        )

    assert on("2019-12-31") == ("unknown", "none")
    assert on("2020-03-01") == ("home", "e-mail")
    assert on("2020-07-01") == ("external", "e-mail")  # the spell that started last
    assert on("2021-01-15") == ("home", "override")
    assert on("2021-07-01") == ("unknown", "none")
    assert affiliation_on(day=date(2030, 1, 1), overrides=[], spells=spells, profile="home") == (
        "home",
        "profile",
    )


def test_a_gap_between_two_spells_that_agree_is_bridged():
    spells = [
        Spell(first=date(2019, 3, 1), last=date(2020, 10, 1), affiliation="home"),  # alibaba-inc
        Spell(first=date(2021, 7, 1), last=date(2022, 4, 1), affiliation="home"),  # antgroup
        Spell(first=date(2023, 1, 1), last=date(2023, 6, 1), affiliation="external"),
    ]

    def on(day: str) -> str:
        return affiliation_on(
            day=date.fromisoformat(day), overrides=[], spells=spells, profile="unknown"
        )[0]

    assert on("2021-01-01") == "home"  # personal addresses in between
    assert on("2022-08-01") == "unknown"  # home before, external after: not known
    assert on("2024-01-01") == "unknown"
