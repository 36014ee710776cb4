import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import dashboard.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="TeamMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "time_zone",
                    models.CharField(
                        blank=True, max_length=64, validators=[dashboard.models.validate_time_zone]
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="member",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "default_permissions": (),
                "permissions": [
                    ("view_users", "Search users by attribute"),
                    ("view_conversations", "Read conversations"),
                    ("export_data", "Export user lists and transcripts"),
                    ("send_broadcast", "Launch WhatsApp template broadcasts"),
                    ("trigger_flow", "Trigger automation flows"),
                    ("manage_catalogue", "Keep the template and flow catalogue"),
                    ("view_audit", "Review the audit log of outbound calls"),
                    ("manage_team", "Manage accounts and roles"),
                ],
            },
        ),
    ]
