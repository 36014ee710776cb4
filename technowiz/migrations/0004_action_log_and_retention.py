"""The action log (what people did), prune records, the seal's second log, and the
user a call concerns as a column of its own (backfilled from the conversation paths).

On PostgreSQL the append-only triggers of 0003 now also guard action rows and prune
records; DELETE of sealed rows and seals is let through only in a transaction that set
``technowiz.pruning`` (what ``manage.py audit_prune`` does), and the verifier reads any
removal without a keyed prune record as tampering.
"""

from urllib.parse import unquote

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TRIGGERS = """
CREATE OR REPLACE FUNCTION technowiz_refuse_sealed_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'technowiz_auditprune'
       AND current_setting('technowiz.pruning', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_TABLE_NAME IN ('technowiz_auditseal', 'technowiz_auditprune')
       OR (TG_TABLE_NAME = 'technowiz_outboundcall'
           AND OLD.id <= (SELECT COALESCE(MAX(last_id), 0) FROM technowiz_auditseal))
       OR (TG_TABLE_NAME = 'technowiz_actionrecord'
           AND OLD.id <= (SELECT COALESCE(MAX(actions_last_id), 0) FROM technowiz_auditseal))
    THEN
        RAISE EXCEPTION 'audit rows and seals are append-only: % of % refused', TG_OP, TG_TABLE_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER technowiz_actionrecord_sealed BEFORE UPDATE OR DELETE ON technowiz_actionrecord
    FOR EACH ROW EXECUTE FUNCTION technowiz_refuse_sealed_change();
CREATE TRIGGER technowiz_auditprune_sealed BEFORE UPDATE OR DELETE ON technowiz_auditprune
    FOR EACH ROW EXECUTE FUNCTION technowiz_refuse_sealed_change();
CREATE TRIGGER technowiz_actionrecord_truncate BEFORE TRUNCATE ON technowiz_actionrecord
    FOR EACH STATEMENT EXECUTE FUNCTION technowiz_refuse_truncate();
CREATE TRIGGER technowiz_auditprune_truncate BEFORE TRUNCATE ON technowiz_auditprune
    FOR EACH STATEMENT EXECUTE FUNCTION technowiz_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS technowiz_actionrecord_sealed ON technowiz_actionrecord;
DROP TRIGGER IF EXISTS technowiz_auditprune_sealed ON technowiz_auditprune;
DROP TRIGGER IF EXISTS technowiz_actionrecord_truncate ON technowiz_actionrecord;
DROP TRIGGER IF EXISTS technowiz_auditprune_truncate ON technowiz_auditprune;
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def backfill_subject(apps, schema_editor):
    """The user id of every conversation read, from its path (a flow trigger's summary
    holds a masked phone only: those older rows stay without a subject). Seals made
    before this migration (format 1) do not cover the column."""
    calls = apps.get_model("technowiz", "OutboundCall").objects.using(
        schema_editor.connection.alias
    )
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:  # the owner running the migration may; the sealed-row trigger would refuse
        schema_editor.execute("ALTER TABLE technowiz_outboundcall DISABLE TRIGGER USER")
    batch = []
    rows = calls.filter(action="conversation.page", subject="").only("id", "path")
    for call in rows.iterator(chunk_size=2000):
        _, found, rest = call.path.partition("/channel-user/")
        if found:
            call.subject = unquote(rest.split("/", 1)[0])[:200]
            batch.append(call)
        if len(batch) >= 2000:
            calls.bulk_update(batch, ["subject"])
            batch = []
    if batch:
        calls.bulk_update(batch, ["subject"])
    if postgres:
        schema_editor.execute("ALTER TABLE technowiz_outboundcall ENABLE TRIGGER USER")


class Migration(migrations.Migration):
    dependencies = [
        ("technowiz", "0003_keyed_seals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ActionRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("username", models.CharField(max_length=150)),
                (
                    "origin",
                    models.CharField(
                        help_text='"web:<request id>", "job:<id>", "system"', max_length=80
                    ),
                ),
                ("action", models.CharField(max_length=40)),
                ("object_type", models.CharField(blank=True, max_length=40)),
                ("object_id", models.CharField(blank=True, max_length=200)),
                ("object_label", models.CharField(blank=True, max_length=200)),
                ("detail", models.JSONField(blank=True, default=dict)),
            ],
            options={
                "verbose_name": "action record",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="AuditPrune",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(unique=True)),
                (
                    "before",
                    models.DateTimeField(help_text="Rows older than this were asked to go."),
                ),
                ("seals_from", models.PositiveIntegerField()),
                ("seals_to", models.PositiveIntegerField()),
                ("calls_to", models.BigIntegerField(help_text="Every call up to this id is gone.")),
                (
                    "actions_to",
                    models.BigIntegerField(help_text="Every action up to this id is gone."),
                ),
                ("calls_removed", models.PositiveIntegerField()),
                ("actions_removed", models.PositiveIntegerField()),
                ("last_seal_hash", models.CharField(max_length=64)),
                ("username", models.CharField(max_length=150)),
                ("created_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("record_hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "audit prune record",
                "ordering": ["number"],
            },
        ),
        migrations.AddField(
            model_name="auditseal",
            name="actions_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="actions_digest",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="actions_first_id",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="actions_index",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="actions_last_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="format",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="outboundcall",
            name="subject",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The platform user the call concerns (user id or phone), for lookups.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="auditseal",
            name="first_id",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditseal",
            name="last_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="outboundcall",
            index=models.Index(fields=["subject", "-id"], name="tw_call_subject"),
        ),
        migrations.AddIndex(
            model_name="outboundcall",
            index=models.Index(fields=["origin"], name="tw_call_origin"),
        ),
        migrations.AddField(
            model_name="actionrecord",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="auditprune",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="actionrecord",
            index=models.Index(fields=["-created_at", "-id"], name="tw_action_created"),
        ),
        migrations.AddIndex(
            model_name="actionrecord",
            index=models.Index(fields=["username", "-id"], name="tw_action_username"),
        ),
        migrations.AddIndex(
            model_name="actionrecord",
            index=models.Index(fields=["action", "-id"], name="tw_action_action"),
        ),
        migrations.AddIndex(
            model_name="actionrecord",
            index=models.Index(fields=["object_type", "object_id", "-id"], name="tw_action_object"),
        ),
        migrations.AddIndex(
            model_name="actionrecord",
            index=models.Index(fields=["origin"], name="tw_action_origin"),
        ),
        migrations.RunPython(backfill_subject, migrations.RunPython.noop),
        migrations.RunPython(on_postgresql(TRIGGERS), on_postgresql(DROP)),
    ]
