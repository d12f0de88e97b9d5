"""Keep the search and facet columns current when recommendations are edited one by one.

Imports write in bulk and call `reindex` themselves; these handlers cover the admin and
the services that change a single recommendation's relations.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from recommendations.indexing import bump_version, reindex
from recommendations.models import AffectedGroup, Recommendation, Responsibility, Theme

RELATIONS = ("recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets")


def _reindex_relation(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and reverse:
        # Cleared from the other side (a theme loses all its recommendations): note which.
        column = sender._meta.get_field(instance._meta.model_name).attname
        instance._cleared_ids = list(
            sender.objects.filter(**{column: instance.pk}).values_list("recommendation_id", flat=True)
        )
    elif action in ("post_add", "post_remove", "post_clear"):
        if not reverse:
            reindex([instance.pk])
        else:
            reindex(pk_set or getattr(instance, "_cleared_ids", []))


for _name in RELATIONS:
    m2m_changed.connect(
        _reindex_relation, sender=getattr(Recommendation, _name).through, dispatch_uid=f"reindex-{_name}"
    )


@receiver(post_save, sender=Recommendation, dispatch_uid="reindex-recommendation")
def _reindex_recommendation(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex([instance.pk])


@receiver(post_delete, sender=Recommendation, dispatch_uid="bump-version-on-delete")
def _recommendation_deleted(sender, instance, **kwargs):
    # Nothing left to reindex, but cached public data (facet counts, pages) must go stale.
    bump_version()


@receiver([post_save, post_delete], sender=Responsibility, dispatch_uid="reindex-responsibility")
def _reindex_responsibility(sender, instance, **kwargs):
    reindex([instance.recommendation_id])


@receiver(post_save, sender=Theme, dispatch_uid="reindex-theme")
@receiver(post_save, sender=AffectedGroup, dispatch_uid="reindex-group")
def _reindex_tagged(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw:
        reindex(instance.recommendations.values_list("pk", flat=True))
