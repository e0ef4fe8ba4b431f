"""EXPLAIN of the SQL a request ran, as the application's role under row-level security, and
the check that no step reads far more rows than the statement returns."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from tenants.context import tenant_context

# A statement whose plan throws away (filters out after reading) more than this many rows, and
# more than WASTE_RATIO times what it returns, reads rows it does not need: an index should
# have served it. (The first run at 1M showed 32,000 thrown away for a 50-row page.) Rows a
# join compares and rejects are not counted: they were read once for the join, not searched.
WASTE_MIN_ROWS = 10_000
WASTE_RATIO = 10


@dataclass
class Plan:
    sql: str
    text: str
    returned: int
    discarded: int
    execution_ms: float

    @property
    def wasteful(self) -> bool:
        return self.discarded > max(WASTE_MIN_ROWS, WASTE_RATIO * (self.returned + 1))


def _discarded(node: dict) -> int:
    loops = node.get("Actual Loops", 1) or 1
    own = (
        node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    ) * loops
    return own + sum(_discarded(child) for child in node.get("Plans", []))


def _returned(root: dict) -> int:
    """Rows the statement hands back; for an aggregate (a count, a sum per day), the rows it
    aggregated: counting 1,000 rows is reading 1,000 rows for the one figure asked for."""
    node = root
    while node.get("Node Type") in ("Limit", "Aggregate") and node.get("Plans"):
        if node["Node Type"] == "Aggregate":
            child = node["Plans"][0]
            return int(child.get("Actual Rows", 0) * (child.get("Actual Loops", 1) or 1))
        node = node["Plans"][0]
    return int(root.get("Actual Rows", 0))


def explain(sql: str, tenant) -> Plan:
    """EXPLAIN ANALYZE of one read statement in ``tenant``'s context (rolled back after)."""
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
        if isinstance(document, str):
            document = json.loads(document)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    root = document[0]["Plan"]
    return Plan(
        sql=sql,
        text=text,
        returned=_returned(root),
        discarded=_discarded(root),
        execution_ms=float(document[0].get("Execution Time", 0.0)),
    )


def is_read(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in ("SELECT", "WITH") and "FOR UPDATE" not in sql.upper()
