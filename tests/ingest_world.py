"""A small hand-made community for ingest tests, and a pk-free snapshot of what was stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.models import Actor, Comment, Commit, Issue, PullRequest, Repository, Review, Star

T0 = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def build_community(world, *, issues: int = 130, pulls: int = 120) -> dict[str, int]:
    """Org `acme` with `acme/core` (busy: more than one page of everything, a pull request with
    more than 50 reviews) and `acme/docs` (small); returns the expected counts."""
    world.add_org("acme")
    people = ["alice", "bob", "carol", "dave"]
    world.add_user("alice", company="Ant Group", email="alice@antgroup.com")
    world.add_user("bob", company="Tencent")
    world.add_user("carol", email="carol@example.com")
    world.add_user("dave")
    world.add_user("dependabot[bot]", type="Bot")
    world.add_repo("acme", "core", created_at=at(-400))
    world.add_repo("acme", "docs", created_at=at(-300))
    for i in range(issues):
        number = world.add_issue(
            "acme/core",
            author=people[i % 4],
            title=f"Issue {i} 🐛 مرحبا",
            created_at=at(i),
            closed_at=at(i + 3) if i % 3 == 0 else None,
            labels=["easy"] if i % 5 == 0 else [],
        )
        if i % 2 == 0:
            world.add_comment(
                "acme/core",
                number,
                author="dependabot[bot]",
                body="bot says hi",
                created_at=at(i + 0.1),
            )
            world.add_comment(
                "acme/core",
                number,
                author=people[(i + 1) % 4],
                body="answer",
                created_at=at(i + 0.5),
            )
    for i in range(pulls):
        merged = i % 2 == 0
        number = world.add_pull(
            "acme/core",
            author=people[i % 4],
            title=f"PR {i}",
            created_at=at(i),
            merged_at=at(i + 2) if merged else None,
            merged_by="alice" if merged else None,
            closed_at=at(i + 2) if merged else None,
            additions=10 + i,
            deletions=i,
            changed_files=1 + i % 7,
            author_association="CONTRIBUTOR",
        )
        review = world.add_review(
            "acme/core",
            number,
            author=people[(i + 2) % 4],
            state="APPROVED",
            submitted_at=at(i + 1),
            author_association="MEMBER",
        )
        # One inline comment per pull request (more than a page of them), drafted before its
        # review was submitted: the review, not the draft, is what the author saw first.
        world.add_review_comment(
            "acme/core",
            number,
            author=people[(i + 2) % 4],
            body="nit: rename this",
            created_at=at(i + 0.9),
            review_id=review,
            author_association="MEMBER",
        )
        if i == 0:
            for k in range(60):
                world.add_review(
                    "acme/core",
                    number,
                    author=people[(k % 3) + 1],
                    state="COMMENTED",
                    submitted_at=at(1 + k / 100),
                )
    for i in range(150):
        kind = i % 3
        world.add_commit(
            "acme/core",
            authored_at=at(i / 2),
            author_login=people[i % 4] if kind == 0 else None,
            # One name per person: a shared name would join them (docs/metrics.md, Contributor).
            author_name=[f"Person {i % 4}", "Dave", "Mystery"][kind],
            author_email=[
                f"{people[i % 4]}@example.com",
                "55+dave@users.noreply.github.com",
                "Mystery@Example.org",
            ][kind],
            message=f"Commit {i}",
            additions=i,
            deletions=1,
        )
    for i, who in enumerate(people + ["dependabot[bot]"]):
        world.add_star("acme/core", user=who, starred_at=at(10 + i))
    world.add_issue("acme/docs", author="carol", title="Docs typo", created_at=at(5))
    world.add_star("acme/docs", user="bob", starred_at=at(20))
    world.add_commit(
        "acme/docs",
        authored_at=at(3),
        author_login="carol",
        author_email="carol@example.com",
        message="Init",
    )
    return {
        "issues": issues + 1,
        "pull_requests": pulls,
        "reviews": pulls + 60,
        "comments": issues,
        "review_comments": pulls,
        "commits": 151,
        # GitHub lists only user accounts as stargazers: the bot's star is not served.
        "stars": 5,
        "repositories": 2,
    }


def snapshot() -> dict[str, list[tuple]]:
    """Every stored GitHub fact, keyed by GitHub's ids (never our primary keys)."""
    return {
        "repositories": sorted(Repository.objects.values_list("github_id", "full_name", "tracked")),
        "actors": sorted(
            Actor.objects.values_list(
                "github_id", "login", "type", "is_bot", "company", "affiliation"
            )
        ),
        "issues": sorted(
            Issue.objects.values_list(
                "github_id",
                "repository__full_name",
                "number",
                "title",
                "state",
                "author__login",
                "labels",
                "closed_at",
                "first_response_at",
                "first_responder__login",
            )
        ),
        "pull_requests": sorted(
            PullRequest.objects.values_list(
                "github_id",
                "number",
                "state",
                "author__login",
                "merged_at",
                "merged_by__login",
                "additions",
                "deletions",
                "changed_files",
                "first_response_at",
            )
        ),
        "reviews": sorted(
            Review.objects.values_list(
                "github_id", "pull_request__number", "author__login", "state", "submitted_at"
            )
        ),
        "comments": sorted(
            Comment.objects.values_list(
                "kind", "github_id", "issue_number", "author__login", "created_at"
            )
        ),
        "commits": sorted(
            Commit.objects.values_list(
                "repository__full_name", "sha", "author__login", "author_key", "committed_at"
            )
        ),
        "stars": sorted(
            Star.objects.values_list("repository__full_name", "actor__login", "starred_at")
        ),
    }
