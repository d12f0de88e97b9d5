from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0008_fill_slugs_and_index")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="slug",
            field=models.SlugField(editable=False, help_text="Used in public URLs.", max_length=260, unique=True),
        )
        for model in ("theme", "affectedgroup")
    ]
