"""A nomination draft as Markdown, ready to paste into a nomination issue: the candidate's
merged pull requests by difficulty (links), reviews given, issues answered and months active,
set against the project's promotion rule (docs/metrics.md, "Nomination draft")."""

from ..templatetags.pulse import link_target
from .digest_render import markdown_escape

SOURCE_WORDS = {
    "label": "its difficulty label",
    "issue label": "the label of the issue it closes",
    "size": "its size",
}


def rule_sentence(rule) -> str:
    """The rule in words: "at least 10 merged pull requests, of which at least 1 Hard or 4
    Medium"."""
    alternatives = [
        f"{need} {name}" for need, name in ((rule.min_hard, "Hard"), (rule.min_medium, "Medium"))
    ]
    alternatives = [text for text in alternatives if not text.startswith("0 ")]
    text = f"at least {rule.min_merged} merged pull requests"
    if alternatives:
        text += ", of which at least " + " or ".join(alternatives)
    return text


def shortfall_sentence(candidate: dict, rule) -> str:
    """What is still missing under the rule, or that it is met."""
    if candidate["meets_rule"]:
        return "the rule is met"
    missing = []
    if candidate["merged"] < rule.min_merged:
        missing.append(f"{rule.min_merged - candidate['merged']} more merged pull requests")
    wants = [
        f"{need - have} more {name}"
        for have, need, name in (
            (candidate["hard"], rule.min_hard, "Hard"),
            (candidate["medium"], rule.min_medium, "Medium"),
        )
        if need
    ]
    difficulty_met = not wants or any(
        have >= need
        for have, need in (
            (candidate["hard"], rule.min_hard),
            (candidate["medium"], rule.min_medium),
        )
        if need
    )
    if not difficulty_met:
        missing.append(" or ".join(wants))
    return "the rule is not met yet: " + " and ".join(missing) + " needed"


def _link(text: str, url: str) -> str:
    target = link_target(url)
    return f"[{markdown_escape(text)}]({target})" if target else markdown_escape(text)


def nomination_markdown(evidence: dict) -> str:
    c, rule = evidence["candidate"], evidence["rule"]
    login, project = c["login"], evidence["project"]
    role = rule.get_target_role_display()
    window = f"from {evidence['first'].isoformat()} to {evidence['last'].isoformat()}"
    lines = [
        f"## Nomination: @{markdown_escape(login)} for {role} of {markdown_escape(project)}",
        "",
        f"I nominate @{markdown_escape(login)} for **{role}** of "
        f"{_link(project, evidence['project_url'])}.",
        "",
        "### Against the project's rule",
        "",
        f"The promotion rule of {markdown_escape(project)} for {role}: {rule_sentence(rule)}. "
        f"Counted {window}, @{markdown_escape(login)} has {c['progress']} "
        f"(progress {c['progress_percent']:.1f} %): {shortfall_sentence(c, rule)}.",
        "",
        f"### Merged pull requests ({c['merged']})",
        "",
    ]
    for level, items in evidence["merged_by_level"].items():
        lines.append(f"**{level}** ({len(items)})" + (":" if items else ""))
        lines.append("")
        for item in items:
            title = "#{} {}".format(item["number"], item["title"])
            how = SOURCE_WORDS.get(item["source"], SOURCE_WORDS["size"])
            lines.append(
                f"- {_link(title, item['url'])}, merged {item['merged_at']:%Y-%m-%d} "
                f"({level} by {how})"
            )
        if items:
            lines.append("")
    lines += [
        "### Reviews, answers and time on the project",
        "",
        f"- Reviews given on other people's pull requests: {c['reviews_given']} "
        f"({_link('on GitHub', c['reviews_url'])})",
        f"- Issues answered (other people's issues commented on): {c['issues_answered']} "
        f"({_link('on GitHub', c['issues_url'])})",
        f"- Months active on {markdown_escape(project)} in the window: {c['months_active']}",
        f"- Last activity: {c['last_activity'] or 'none'}",
        "",
        f"_Figures by Pulse from GitHub's records, counted {window}; definitions: "
        'docs/metrics.md, "Promotion candidates" and "Nomination draft"._',
    ]
    return "\n".join(lines) + "\n"
