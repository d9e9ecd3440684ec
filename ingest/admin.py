"""Admin: raw GitHub facts read-only; scope, bots, affiliations and roles editable; identity
decisions appended (never edited), each re-keying the commits it concerns."""

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower

from . import models
from .identity import identity_decision_recorded


class ReadOnlyAdmin(admin.ModelAdmin):
    """Raw GitHub facts are written only by ingest; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Actor)
class ActorAdmin(ReadOnlyAdmin):
    list_display = ["login", "type", "is_bot", "name", "company", "location", "created_at"]
    list_filter = ["type", "is_bot"]
    search_fields = ["login", "name", "company", "email"]


@admin.register(models.Repository)
class RepositoryAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "archived", "fork", "stargazers_count", "pushed_at", "tracked"]
    list_filter = ["owner_login", "archived", "fork", "tracked"]
    search_fields = ["full_name"]


@admin.register(models.Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["repository", "number", "title", "state", "author", "created_at", "closed_at"]
    list_filter = ["state", "repository"]
    search_fields = ["title", "author__login"]
    list_select_related = ["repository", "author"]
    raw_id_fields = ["author", "first_responder"]


@admin.register(models.PullRequest)
class PullRequestAdmin(ReadOnlyAdmin):
    list_display = ["repository", "number", "title", "state", "author", "merged_at", "merged_by"]
    list_filter = ["state", "repository"]
    search_fields = ["title", "author__login"]
    list_select_related = ["repository", "author", "merged_by"]
    raw_id_fields = ["author", "merged_by", "first_responder"]


@admin.register(models.Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["repository", "pull_request", "author", "state", "submitted_at"]
    list_filter = ["state"]
    list_select_related = ["repository", "pull_request", "author"]


@admin.register(models.Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["repository", "issue_number", "kind", "author", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["repository", "author"]


@admin.register(models.Commit)
class CommitAdmin(ReadOnlyAdmin):
    list_display = ["repository", "sha", "author", "author_name", "author_email", "authored_at"]
    search_fields = ["sha", "author_name", "author_email"]
    list_select_related = ["repository", "author"]


@admin.register(models.CommitCoAuthor)
class CommitCoAuthorAdmin(ReadOnlyAdmin):
    list_display = ["commit", "position", "author", "name", "email", "author_key"]
    search_fields = ["name", "email", "commit__sha"]
    list_select_related = ["commit", "author"]
    raw_id_fields = ["commit", "author"]


@admin.register(models.Star)
class StarAdmin(ReadOnlyAdmin):
    list_display = ["repository", "actor", "starred_at"]
    list_select_related = ["repository", "actor"]


@admin.register(models.GovernanceFileVersion)
class GovernanceFileVersionAdmin(ReadOnlyAdmin):
    list_display = ["repository", "path", "commit_sha", "committed_at"]


@admin.register(models.SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = ["scope", "resource", "watermark", "last_success_at"]
    search_fields = ["scope"]


@admin.register(models.IngestRun)
class IngestRunAdmin(ReadOnlyAdmin):
    list_display = [
        "scope",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "items_written",
        "requests",
        "not_modified",
        "error_count",
    ]
    list_filter = ["status", "trigger"]


@admin.register(models.TrackedOrganization)
class TrackedOrganizationAdmin(admin.ModelAdmin):
    list_display = ["login", "active", "added_at"]


@admin.register(models.TrackedRepository)
class TrackedRepositoryAdmin(admin.ModelAdmin):
    list_display = ["full_name", "active", "added_at"]


@admin.register(models.BotAccount)
class BotAccountAdmin(admin.ModelAdmin):
    list_display = ["login", "note"]


@admin.register(models.AffiliationOverride)
class AffiliationOverrideAdmin(admin.ModelAdmin):
    list_display = ["login", "email", "organization", "is_home", "start", "end"]
    search_fields = ["login", "email", "organization"]


@admin.register(models.RoleEntry)
class RoleEntryAdmin(admin.ModelAdmin):
    list_display = ["repository", "login", "role", "since", "until"]
    list_filter = ["role", "repository"]
    search_fields = ["login"]


class IdentityDecisionForm(forms.ModelForm):
    """A decision as the rule reads it: a trimmed e-mail; a join names an ingested person's
    account, spelled as GitHub spells it; a separate names none."""

    class Meta:
        model = models.IdentityDecision
        fields = ["email", "action", "login", "reason"]

    def clean(self) -> dict:
        data = super().clean()
        data["email"] = (data.get("email") or "").strip()
        login = (data.get("login") or "").strip()
        if data.get("action") == models.IdentityDecision.Action.JOIN:
            if not login:
                self.add_error("login", "A join needs the GitHub login the e-mail belongs to.")
                return data
            account = models.Actor.objects.filter(login__iexact=login).order_by("pk").first()
            if account is None:
                self.add_error(
                    "login",
                    f"No GitHub account {login!r} has been ingested: check the spelling, or "
                    "decide once that person's activity has been synced.",
                )
            elif account.type != models.Actor.Type.USER or account.is_bot:
                self.add_error("login", f"{account.login} is a {account.type}, not a person.")
            else:
                login = account.login
        elif login:
            self.add_error("login", "Leave the login empty: a separate e-mail joins no login.")
        data["login"] = login
        return data


@admin.register(models.IdentityDecision)
class IdentityDecisionAdmin(admin.ModelAdmin):
    """Append-only: a decision is never edited or deleted (the history of who decided what);
    a new decision for the same e-mail supersedes the older ones. Saving one re-keys the
    commits and co-authors once the save commits (docs/metrics.md, "Contributor")."""

    form = IdentityDecisionForm
    list_display = ["email", "action", "login", "reason", "decided_by", "decided_at", "in_effect"]
    list_filter = ["action"]
    search_fields = ["email", "login", "reason", "decided_by"]
    fieldsets = [
        (
            None,
            {
                "fields": ["email", "action", "login", "reason"],
                "description": (
                    "Who a git e-mail is. The latest decision for an e-mail (any case) wins "
                    "over every automatic rule: <b>join</b> counts its commits for the "
                    "login; <b>separate</b> keeps it a person of its own, joined to no "
                    "login. Decisions are never edited or deleted: to change one, add a new "
                    "decision for the same e-mail. Pages show the result after the next "
                    "rebuild of the derived data (queued when you save)."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        latest = (
            models.IdentityDecision.objects.annotate(address=Lower("email"))
            .filter(address=Lower(OuterRef("email")))
            .order_by("-decided_at", "-id")
            .values("id")[:1]
        )
        return super().get_queryset(request).annotate(latest_id=Subquery(latest))

    @admin.display(boolean=True, description="in effect")
    def in_effect(self, obj: models.IdentityDecision) -> bool:
        return obj.pk == getattr(obj, "latest_id", None)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return ["email", "action", "login", "reason", "decided_by", "decided_at"] if obj else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return [(None, {"fields": self.get_readonly_fields(request, obj)})]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        obj.decided_by = request.user.get_username()
        super().save_model(request, obj, form, change)
        identity_decision_recorded(email=obj.email)
