"""PostgreSQL row-level security for tenant-owned tables.

Each tenant table gets one policy: a row is visible and writable only when its ``tenant_id``
equals the transaction's ``app.tenant_id`` setting, or when the transaction is explicitly
cross-tenant (``app.cross_tenant = 'on'``, set by ``tenants.context.cross_tenant``).
``FORCE`` makes the policy bind the table's owner too: the application's role owns the tables.
An unset setting reads as '' (or NULL before first use); NULLIF makes both match nothing.

Every migration that creates a tenant-owned model adds ``EnableTenantRLS("<model>")``;
``tests/tenants/test_rls.py`` fails for a tenant table without the policy.
"""

from django.db import migrations

POLICY_NAME = "tenant_isolation"

POLICY_CONDITION = (
    "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint "
    "OR current_setting('app.cross_tenant', true) = 'on'"
)


def enable_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" '
        f"USING ({POLICY_CONDITION}) WITH CHECK ({POLICY_CONDITION})",
    ]


def disable_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


class EnableTenantRLS(migrations.operations.base.Operation):
    """Migration operation: turn on the tenant policy for one model's table (PostgreSQL only)."""

    reversible = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {})

    def state_forwards(self, app_label, state):
        pass

    def _run(self, app_label, schema_editor, state, make_sql):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = state.apps.get_model(app_label, self.model_name)
        for statement in make_sql(model._meta.db_table):
            schema_editor.execute(statement)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(app_label, schema_editor, to_state, enable_sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(app_label, schema_editor, from_state, disable_sql)

    def describe(self):
        return f"Enable tenant row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.model_name.lower()}"
