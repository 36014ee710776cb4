"""Give agents, managers and admins the new ``work_queue`` permission."""

from django.db import migrations

ROLES = ("agent", "manager", "admin")


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="dashboard", model="teammember")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="work_queue",
        defaults={"name": "Change a user's queue state, assignee and notes"},
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="dashboard", codename="work_queue"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0008_queue_and_rating_history")]

    operations = [migrations.RunPython(grant, revoke)]
