"""The weekly digest as Markdown and as HTML: the same sections, items, texts and links.

Both renderers read one outline (`digest_outline`): a title, a line saying what it covers, then
sections of items, each item a list of parts that are plain text or (text, link). Markdown
escapes what it would otherwise read as markup; HTML is escaped by the template engine.
A link that is not one of GitHub's pages (or ours) is shown as text (`link_target`).
"""

import re

from django.template.loader import render_to_string

from ..metrics.digest import WeeklyDigest
from ..templatetags.pulse import link_target

FLAG_EVIDENCE_SHOWN = 10  # evidence links per flag; its "details" link leads to the rest
# Characters Markdown would read as markup inside a line (emphasis, links, HTML, tables).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _day(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _who(login: str, fallback: str = "") -> str:
    return f"@{login}" if login else (fallback or "someone whose account was deleted")


def _link(text: str, url: str) -> dict:
    return {"text": text, "url": link_target(url)}


def _parts(parts: list) -> list[dict]:
    """Every part as {"text", "url"} (url None: plain text)."""
    return [part if isinstance(part, dict) else {"text": part, "url": None} for part in parts]


def _section(
    title: str, items: list, *, empty: str, ordered: bool = False, groups=(), after: str = ""
) -> dict:
    groups = [{**group, "items": [_parts(i) for i in group["items"]]} for group in groups]
    return {
        "title": title,
        "items": [_parts(parts) for parts in items],
        "groups": groups,
        # What the section says when it has nothing to list.
        "empty": "" if items or groups else empty,
        "ordered": ordered,
        "after": after,
    }


def digest_outline(digest: WeeklyDigest, *, docs_url: str = "") -> dict:
    """The digest's text, independent of the format: sections of items of parts."""
    newcomers = []
    for row in digest.new_contributors:
        parts = [
            f"{_who(row['login'], row['person'])} in {row['project']}, first ",
            _link(
                "pull request" if row["first_kind"] == "pull_request" else "commit",
                row["first_url"],
            ),
            f" on {_day(row['first_at'])}",
        ]
        if row["merged_url"]:
            parts += [": first merged work ", _link(row["merged_title"], row["merged_url"])]
            if row["merged_project"] != row["project"]:
                parts.append(f" in {row['merged_project']}")
        else:
            parts.append(": nothing merged yet")
        newcomers.append(parts)
    merged_groups = [
        {
            "title": f"{group['project']} ({len(group['pull_requests'])})",
            "items": [
                [
                    _link(f"#{pr['number']} {pr['title']}", pr["url"]),
                    f" by {_who(pr['author'])}, merged {_day(pr['merged_at'])}",
                ]
                for pr in group["pull_requests"]
            ],
        }
        for group in digest.merged
    ]
    merged_total = sum(len(group["pull_requests"]) for group in digest.merged)
    roles = []
    for row in digest.role_changes:
        was = row["from_role"] or "no role"
        parts = [f"{_who(row['login'])} on {row['project']}: {was} → {row['to_role'] or 'no role'}"]
        if row["change"] == "promoted":
            parts.append(f" (promoted, from {_day(row['since'])}")
        elif row["change"] == "founder":
            parts.append(f" (founder of a project that started, from {_day(row['since'])}")
        else:
            parts.append(" (stepped down")
        if row["evidence"]:
            parts += ["; evidence: ", _link(row["evidence"], row["evidence_url"])]
        parts.append(")")
        roles.append(parts)
    waiting = [
        [
            _link(f"{row['project']}#{row['number']} {row['title']}", row["url"]),
            f" by {_who(row['author'])}, opened {_day(row['opened_at'])}, "
            f"waiting {row['waiting_days']} days",
        ]
        for row in digest.waiting
    ]
    sections = [
        _section(
            f"New contributors ({len(newcomers)})",
            newcomers,
            empty="Nobody made a first pull request or commit this week.",
        ),
        _section(
            f"Merged pull requests ({merged_total})",
            [],
            empty="No pull request by a person was merged this week.",
            groups=merged_groups,
            after=(
                f"Besides these, {_count(digest.merged_by_bots, 'pull request')} by bots "
                f"{'was' if digest.merged_by_bots == 1 else 'were'} merged."
                if digest.merged_by_bots
                else ""
            ),
        ),
        _section(
            f"Role changes ({len(roles)})",
            roles,
            empty="No role changed this week.",
        ),
        _section(
            "Pull requests waiting longest for a review"
            + (
                f" ({len(waiting)} of {digest.waiting_total})"
                if digest.waiting_total > len(waiting)
                else f" ({len(waiting)})"
            ),
            waiting,
            empty="No pull request was waiting for a review at the end of the week.",
            ordered=True,
        ),
    ]
    flags = []
    for flag in digest.flags:
        parts = [
            f"{flag['kind_label']} on {flag['project']}"
            + (f" ({_who(flag['subject'])})" if flag.get("subject") else "")
            + f", raised {_day(flag['raised_on'])}: {flag['summary']} ",
            _link("details", flag["url"]),
        ]
        evidence = flag.get("evidence") or []
        for n, item in enumerate(evidence[:FLAG_EVIDENCE_SHOWN]):
            parts += [", " if n else "; evidence: ", _link(item["label"], item["url"])]
        if len(evidence) > FLAG_EVIDENCE_SHOWN:
            parts.append(f" and {len(evidence) - FLAG_EVIDENCE_SHOWN} more")
        flags.append(parts)
    sections.append(_section(f"New flags ({len(flags)})", flags, empty="No new flag this week."))
    if digest.narrowed:
        scope = "Projects: " + ", ".join(digest.projects) + " (newcomers are new to each project)."
    else:
        scope = (
            f"All {len(digest.projects)} tracked projects"
            " (newcomers are new to the whole community)."
        )
    return {
        "title": f"Pulse weekly digest {digest.week} "
        f"({_day(digest.monday)} to {_day(digest.sunday)})",
        "scope": scope,
        "sections": sections,
        "docs_url": docs_url,
    }


def markdown_escape(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)))


def _markdown_parts(parts: list[dict]) -> str:
    return "".join(
        f"[{markdown_escape(p['text'])}]({p['url']})" if p["url"] else markdown_escape(p["text"])
        for p in parts
    )


def digest_markdown(digest: WeeklyDigest, *, docs_url: str = "") -> str:
    outline = digest_outline(digest, docs_url=docs_url)
    lines = [f"# {markdown_escape(outline['title'])}", "", markdown_escape(outline["scope"])]
    for section in outline["sections"]:
        lines += ["", f"## {markdown_escape(section['title'])}", ""]
        for n, parts in enumerate(section["items"], start=1):
            lines.append(f"{n}. " if section["ordered"] else "- ")
            lines[-1] += _markdown_parts(parts)
        for group in section["groups"]:
            lines += [f"### {markdown_escape(group['title'])}", ""]
            lines += [f"- {_markdown_parts(parts)}" for parts in group["items"]]
            lines.append("")
        if section["empty"]:
            lines.append(markdown_escape(section["empty"]))
        if section["after"]:
            lines.append(markdown_escape(section["after"]))
    if docs_url:
        lines += ["", f"How each section is chosen: [{markdown_escape(docs_url)}]({docs_url})"]
    return "\n".join(_squeezed(lines)).strip() + "\n"


def _squeezed(lines: list[str]) -> list[str]:
    """No two blank lines in a row."""
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out


def digest_html(digest: WeeklyDigest, *, docs_url: str = "", document: bool = False) -> str:
    """The digest as HTML: a fragment for the page (whose own heading names the week), or a
    whole document with the title as its heading (`document=True`) for an e-mail."""
    outline = digest_outline(digest, docs_url=docs_url)
    return render_to_string(
        "dashboard/digest_body.html",
        {"outline": outline, "document": document},
    )
