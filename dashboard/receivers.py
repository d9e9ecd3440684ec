"""Where the dashboard listens: changes of ingest's facts and of promotion rules.

Receivers only queue work for after the current transaction commits (or, for a foreground
command that asks for it, do it once the command's syncs are done): a model signal or a
request never rebuilds derived data itself.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ingest.changes import facts_recorded
from ingest.models import Repository

from .derived.rebuild import derived_rebuild_pending
from .models import PromotionRule
from .pages.warm import default_views_warm
from .tasks import rebuild_derived, recount_candidates


@receiver(facts_recorded)
def facts_changed_rebuild(sender, *, inline: bool, **kwargs) -> str:
    """Bring the derived data up to date with what ingest recorded."""
    if not inline:
        transaction.on_commit(rebuild_derived.delay)
        return ""
    done = derived_rebuild_pending()
    if not done:
        return "Derived data: another process is rebuilding and includes these changes."
    default_views_warm()
    last = done[-1]
    return (
        f"Derived data rebuilt (version {last.version}, {last.events} contribution events, "
        f"{sum(r.seconds for r in done):.1f} s)."
    )


@receiver([post_save, post_delete], sender=PromotionRule)
def promotion_rule_changed(sender, instance: PromotionRule, **kwargs) -> None:
    """Difficulty and progress depend on the rule: recount the projects it governs."""
    if instance.repository_id is not None:
        ids = [instance.repository_id]
    else:  # the community default: every project without its own rule
        ids = list(
            Repository.objects.exclude(
                pk__in=PromotionRule.objects.exclude(repository=None).values("repository_id")
            ).values_list("pk", flat=True)
        )
    if ids:
        transaction.on_commit(lambda: recount_candidates.delay(ids))
