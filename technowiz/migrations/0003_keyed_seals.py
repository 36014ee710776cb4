"""Seals record the key that made them; on PostgreSQL, triggers refuse any change to
sealed audit rows and to seals, and TRUNCATE of either table once anything is sealed."""

from django.db import migrations, models

TRIGGERS = """
CREATE FUNCTION technowiz_refuse_sealed_change() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'technowiz_auditseal'
       OR OLD.id <= (SELECT COALESCE(MAX(last_id), 0) FROM technowiz_auditseal) THEN
        RAISE EXCEPTION 'audit rows and seals are append-only: % of % refused', TG_OP, TG_TABLE_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION technowiz_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM technowiz_auditseal) THEN
        RAISE EXCEPTION 'the audit log is sealed: TRUNCATE of % refused', TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER technowiz_outboundcall_sealed BEFORE UPDATE OR DELETE ON technowiz_outboundcall
    FOR EACH ROW EXECUTE FUNCTION technowiz_refuse_sealed_change();
CREATE TRIGGER technowiz_auditseal_sealed BEFORE UPDATE OR DELETE ON technowiz_auditseal
    FOR EACH ROW EXECUTE FUNCTION technowiz_refuse_sealed_change();
CREATE TRIGGER technowiz_outboundcall_truncate BEFORE TRUNCATE ON technowiz_outboundcall
    FOR EACH STATEMENT EXECUTE FUNCTION technowiz_refuse_truncate();
CREATE TRIGGER technowiz_auditseal_truncate BEFORE TRUNCATE ON technowiz_auditseal
    FOR EACH STATEMENT EXECUTE FUNCTION technowiz_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS technowiz_outboundcall_sealed ON technowiz_outboundcall;
DROP TRIGGER IF EXISTS technowiz_auditseal_sealed ON technowiz_auditseal;
DROP TRIGGER IF EXISTS technowiz_outboundcall_truncate ON technowiz_outboundcall;
DROP TRIGGER IF EXISTS technowiz_auditseal_truncate ON technowiz_auditseal;
DROP FUNCTION IF EXISTS technowiz_refuse_sealed_change();
DROP FUNCTION IF EXISTS technowiz_refuse_truncate();
"""


def rekey(apps, schema_editor):
    """Seals made before keys: sealed again, in order, under the current key."""
    import hashlib
    import hmac

    from django.conf import settings

    from technowiz.sealing import _canonical

    key = settings.AUDIT_SEAL_KEY
    if not key:
        return
    key_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    seals = apps.get_model("technowiz", "AuditSeal").objects.using(schema_editor.connection.alias)
    previous = "0" * 64
    for seal in seals.order_by("number"):
        parts = [previous, str(seal.number), str(seal.first_id), str(seal.last_id)]
        parts += [str(seal.row_count), seal.rows_digest, _canonical(seal.created_at)]
        parts += [seal.row_index, key_id]
        digest = hmac.new(key.encode(), "\n".join(parts).encode(), "sha256").hexdigest()
        seals.filter(pk=seal.pk).update(key_id=key_id, seal_hash=digest)
        previous = digest


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("technowiz", "0002_audit_seal")]

    operations = [
        migrations.AddField(
            model_name="auditseal",
            name="key_id",
            field=models.CharField(
                blank=True,
                help_text="Which AUDIT_SEAL_KEY made the seal (none: unkeyed).",
                max_length=16,
            ),
        ),
        migrations.RunPython(rekey, migrations.RunPython.noop),
        migrations.RunPython(on_postgresql(TRIGGERS), on_postgresql(DROP)),
    ]
