"""Admin for dashboard settings (promotion rules, health weights), and the admin's branding."""

from django.contrib import admin

from . import models
from .definitions.health import HEALTH_INPUTS, INPUTS_BY_KEY

# One admin site for the whole project; the dashboard is what people know as Pulse.
admin.site.site_header = "Pulse administration"
admin.site.site_title = "Pulse administration"
admin.site.index_title = "Settings, tracked scope and ingested facts"


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


@admin.register(models.HealthWeight)
class HealthWeightAdmin(admin.ModelAdmin):
    """The health score's weights and curves: one row per input overridden; inputs without a
    row (and blank fields) keep the defaults listed on the add form."""

    list_display = ["__str__", "weight_in_force", "good_in_force", "bad_in_force", "updated_at"]
    fields = ["key", "weight", "good", "bad"]

    @staticmethod
    def _default(obj, field: str):
        value = getattr(obj, field)
        if value is not None:
            return value
        default = INPUTS_BY_KEY.get(obj.key)
        return f"{getattr(default, field):g} (default)" if default else "–"

    @admin.display(description="weight")
    def weight_in_force(self, obj):
        return self._default(obj, "weight")

    @admin.display(description="good (scores 100)")
    def good_in_force(self, obj):
        return self._default(obj, "good")

    @admin.display(description="bad (scores 0)")
    def bad_in_force(self, obj):
        return self._default(obj, "bad")

    def render_change_form(self, request, context, *args, **kwargs):
        context["adminform"].form.fields["key"].help_text += " Defaults: " + "; ".join(
            f"{i.label}: weight {i.weight:g}, good {i.good:g}, bad {i.bad:g} {i.unit}"
            for i in HEALTH_INPUTS
        )
        return super().render_change_form(request, context, *args, **kwargs)
