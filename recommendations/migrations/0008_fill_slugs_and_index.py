from django.db import migrations

from recommendations.models import slugify_key, theme_slug


def fill(apps, schema_editor):
    Theme = apps.get_model("recommendations", "Theme")
    AffectedGroup = apps.get_model("recommendations", "AffectedGroup")
    for theme in Theme.objects.filter(slug__isnull=True):
        theme.slug = theme_slug(theme.vocabulary, theme.name)
        theme.save(update_fields=["slug"])
    for group in AffectedGroup.objects.filter(slug__isnull=True):
        group.slug = slugify_key(group.key)
        group.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0007_responsibility_affectedgroup_slug_and_more"),
        ("stakeholders", "0003_organisation"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
