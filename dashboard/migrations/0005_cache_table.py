"""The database cache's table, created with the migrations: without it every page answers
500 (``migrate`` alone does not create it)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0004_catalogue_and_runs")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
