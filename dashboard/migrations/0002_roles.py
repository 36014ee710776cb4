"""Create the agent, manager and admin groups with their permissions."""

from django.db import migrations

# Frozen here: a migration must not change when the code's constants do.
PERMISSIONS = {
    "view_users": "Search users by attribute",
    "view_conversations": "Read conversations",
    "export_data": "Export user lists and transcripts",
    "send_broadcast": "Launch WhatsApp template broadcasts",
    "trigger_flow": "Trigger automation flows",
    "manage_catalogue": "Keep the template and flow catalogue",
    "view_audit": "Review the audit log of outbound calls",
    "manage_team": "Manage accounts and roles",
}
AGENT = ["view_users", "view_conversations", "export_data"]
MANAGER = [*AGENT, "send_broadcast", "trigger_flow", "manage_catalogue"]
ADMIN = [*MANAGER, "view_audit", "manage_team"]
ROLES = {"agent": AGENT, "manager": MANAGER, "admin": ADMIN}


def create_roles(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="dashboard", model="teammember")
    perms = {}
    for codename, name in PERMISSIONS.items():
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([perms[c] for c in codenames])


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
