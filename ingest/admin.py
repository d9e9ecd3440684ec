"""Admin: raw GitHub facts read-only; scope, bots, affiliations and roles editable."""

from django.contrib import admin

from . import models


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
