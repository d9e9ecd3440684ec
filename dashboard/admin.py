"""Admin for dashboard settings: the per-project promotion rules."""

from django.contrib import admin

from . import models


@admin.register(models.PromotionRule)
class PromotionRuleAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "target_role",
        "min_merged",
        "min_hard",
        "min_medium",
        "merge_proves",
        "approval_proves",
        "association_proves",
        "founders_months",
        "recent_months",
        "inactive_months",
    ]
    list_select_related = ["repository"]
    fieldsets = [
        (None, {"fields": ["repository"]}),
        (
            "Which signal proves which role (blank: ignored)",
            {
                "fields": [
                    "merge_proves",
                    "approval_proves",
                    "association_proves",
                    "org_membership_proves",
                    "owners_approvers_prove",
                    "owners_reviewers_prove",
                    "maintainers_prove",
                    "committers_prove",
                    "pmc_prove",
                ]
            },
        ),
        ("Founders", {"fields": ["founders_months"]}),
        (
            "Promotion rule",
            {"fields": ["target_role", "min_merged", "min_hard", "min_medium", "recent_months"]},
        ),
        (
            "Difficulty of unlabelled pull requests (size heuristic)",
            {
                "fields": [
                    "medium_min_lines",
                    "medium_min_files",
                    "hard_min_lines",
                    "hard_min_files",
                ]
            },
        ),
        ("Inactivity", {"fields": ["inactive_months"]}),
    ]
