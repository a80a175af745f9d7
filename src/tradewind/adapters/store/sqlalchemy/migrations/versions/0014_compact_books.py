"""Book snapshot levels as 2-D NUMERIC arrays on PostgreSQL: exact, compact, readable from SQL (``bids[1][1]``).

Revision ID: 0014_compact_books
Revises: 0013_deals
Create Date: 2026-12-07

Until now each side was JSONB ``[["price", "qty"], ...]``; the repository checked and formatted every price and size
to write it, and PostgreSQL parsed JSON. Now a side is ``NUMERIC[][]`` of [price, qty] pairs, best first, which COPY
writes from the numbers' text (unconstrained NUMERIC rounds nothing). Stored rows are converted in place, and back on
downgrade. SQLite keeps its JSON text, in the same format as before: nothing to do there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_compact_books"
down_revision: str | None = "0013_deals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ALTER ... USING allows no subquery, so each conversion is a throwaway SQL function.
TO_ARRAY = """
CREATE FUNCTION tw_levels_to_array(levels jsonb) RETURNS numeric[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(ARRAY[(e->>0)::numeric, (e->>1)::numeric] ORDER BY o), '{}')
    FROM jsonb_array_elements(levels) WITH ORDINALITY AS t(e, o)
$$"""
TO_JSON = """
CREATE FUNCTION tw_levels_to_json(levels numeric[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_array(levels[i][1]::text, levels[i][2]::text) ORDER BY i), '[]')
    FROM generate_subscripts(levels, 1) AS i
$$"""


def _convert(function: str, create: str, to_type: str) -> None:
    op.execute(create)
    for side in ("bids", "asks"):
        op.execute(f"ALTER TABLE book_snapshots ALTER COLUMN {side} TYPE {to_type} USING {function}({side})")
    op.execute(f"DROP FUNCTION {function}")


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _convert("tw_levels_to_array", TO_ARRAY, "numeric[]")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _convert("tw_levels_to_json", TO_JSON, "jsonb")
