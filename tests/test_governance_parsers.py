"""Governance file parsers: who OWNERS / MAINTAINERS / COMMITTERS files list."""

from ingest.governance import governance_people

OWNERS = """\
# See the OWNERS docs at https://go.k8s.io/owners
approvers:
  - alice   # lead
  - "Bob"
reviewers:
- carol
- alice
emeritus_approvers:
- oldtimer
filters:
  ".*\\\\.go$":
    reviewers: [dave, erin]
"""

MAINTAINERS_MD = """\
# Layotto maintainers

| Name | GitHub ID | Company |
|------|-----------|---------|
| Zhang San | [@seeflood](https://github.com/seeflood) | Ant Group |
| Li Si | zhenjunMa | Independent |

## Committers

* Wang Wu (@wenxuwan), mail: wang@example.com
* [Zhao Liu](https://github.com/kevinten10)

## Emeritus

* @retired-person
"""

MAINTAINERS_PLAIN = """\
Alice Example <alice@example.com> (@alice)
bob
# comments are not people
https://github.com/orgs/mosn/people
"""


def test_owners_lists_approvers_and_reviewers_not_emeritus():
    assert governance_people(path="OWNERS", text=OWNERS) == {
        "approvers": ["alice", "Bob"],
        "reviewers": ["carol", "alice", "dave", "erin"],
    }


def test_markdown_people_list_follows_tables_headings_and_drops_emeritus():
    assert governance_people(path="MAINTAINERS.md", text=MAINTAINERS_MD) == {
        "maintainers": ["seeflood", "zhenjunMa"],
        "committers": ["wenxuwan", "kevinten10"],
    }


def test_plain_list_takes_mentions_and_bare_logins_but_not_emails_or_org_pages():
    assert governance_people(path="MAINTAINERS", text=MAINTAINERS_PLAIN) == {
        "maintainers": ["alice", "bob"],
    }


def test_committers_file_category_from_its_name_and_empty_files():
    assert governance_people(path=".github/COMMITTERS.md", text="- @neo\n- @trinity\n") == {
        "committers": ["neo", "trinity"]
    }
    assert governance_people(path="OWNERS", text="") == {}
    assert governance_people(path="COMMITTERS.md", text="Nobody yet.\n") == {}


def test_a_pmc_section_or_file_is_its_own_category():
    text = "# Maintainers\n\n- @alice\n\n## PMC\n\n- @bob\n\n## Steering committee\n\n- @carol\n"
    assert governance_people(path="MAINTAINERS.md", text=text) == {
        "maintainers": ["alice"],
        "pmc": ["bob", "carol"],
    }
    assert governance_people(path="PMC", text="dave\n") == {"pmc": ["dave"]}
