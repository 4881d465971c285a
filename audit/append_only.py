"""Database triggers that make the audit tables append-only, and queue new events for sequencing.

On PostgreSQL one trigger function raises on any UPDATE or DELETE of a row of an events,
leaves, nodes or heads table; on SQLite each table gets BEFORE UPDATE and BEFORE DELETE
triggers that abort. Both raise an integrity error (SQLSTATE 23001, "restrict violation"
on PostgreSQL; SQLITE_CONSTRAINT on SQLite), which Django reports as `IntegrityError`.

A third trigger, AFTER INSERT on events, copies the new event's id and time into the
sequencer's queue in the writer's own transaction: the queue row becomes visible exactly
when the event commits, whatever inserted it.

TRUNCATE is not refused: Django's test runner empties tables with it between transactional
tests on PostgreSQL. In production the application's database role is granted no TRUNCATE
(nor DDL) on these tables; an attacker who has those rights can also drop these triggers,
which is what `audit_verify` and the signed heads are for.

The migration `0003_append_only` calls `install`; tests call `remove` to play an attacker.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# The tables of `0003_append_only`; the key changes' table came later (`0008_signing_key_change`).
FIRST_TABLES = ("audit_auditevent", "audit_sequencedleaf", "audit_merklenode", "audit_signedtreehead")
APPEND_ONLY_TABLES = (*FIRST_TABLES, "audit_signingkeychange")
EVENTS_TABLE = "audit_auditevent"
QUEUE_TABLE = "audit_unsequencedevent"
_REFUSAL = "audit rows are append-only"


# Every name spliced into these statements is a constant of this module, never input.
# ruff: noqa: S608


def _postgresql_install(tables: tuple[str, ...]) -> list[str]:
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION afx_audit_refuse_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{_REFUSAL}: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END;
        $$ LANGUAGE plpgsql
        """,
        f"""
        CREATE OR REPLACE FUNCTION afx_audit_queue_event() RETURNS trigger AS $$
        BEGIN
            INSERT INTO {QUEUE_TABLE} (event_id, created_at) VALUES (NEW.id, NEW.created_at);
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
    ]
    for table in tables:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION afx_audit_refuse_change()
            """,
        ]
    statements += [
        f"DROP TRIGGER IF EXISTS {EVENTS_TABLE}_queue ON {EVENTS_TABLE}",
        f"""
        CREATE TRIGGER {EVENTS_TABLE}_queue AFTER INSERT ON {EVENTS_TABLE}
        FOR EACH ROW EXECUTE FUNCTION afx_audit_queue_event()
        """,
    ]
    return statements


def _sqlite_install(tables: tuple[str, ...]) -> list[str]:
    statements = []
    for table in tables:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_no_{operation.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"""
                CREATE TRIGGER {name} BEFORE {operation} ON {table}
                BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: {operation} on {table} refused'); END
                """,
            ]
    statements += [
        f"DROP TRIGGER IF EXISTS {EVENTS_TABLE}_queue",
        f"""
        CREATE TRIGGER {EVENTS_TABLE}_queue AFTER INSERT ON {EVENTS_TABLE}
        BEGIN INSERT INTO {QUEUE_TABLE} (event_id, created_at) VALUES (NEW.id, NEW.created_at); END
        """,
    ]
    return statements


def _postgresql_remove() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY_TABLES]
    return [
        *statements,
        f"DROP TRIGGER IF EXISTS {EVENTS_TABLE}_queue ON {EVENTS_TABLE}",
        "DROP FUNCTION IF EXISTS afx_audit_refuse_change()",
        "DROP FUNCTION IF EXISTS afx_audit_queue_event()",
    ]


def _sqlite_remove() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {table}_no_{operation}"
        for table in APPEND_ONLY_TABLES
        for operation in ("update", "delete")
    ]
    return [*statements, f"DROP TRIGGER IF EXISTS {EVENTS_TABLE}_queue"]


_INSTALL = {"postgresql": _postgresql_install, "sqlite": _sqlite_install}
_REMOVE = {"postgresql": _postgresql_remove, "sqlite": _sqlite_remove}


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: BaseDatabaseWrapper, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    """Create (or re-create) every trigger of `tables` and the queue's; raises on a database AFX
    does not support. A migration names the tables that exist at its point in history."""
    if connection.vendor not in _INSTALL:
        raise NotImplementedError(
            f"append-only audit tables need PostgreSQL or SQLite, not {connection.vendor}"
        )
    _run(connection, _INSTALL[connection.vendor](tables))


def remove(connection: BaseDatabaseWrapper) -> None:
    """Drop every trigger: what an attacker with DDL rights would do (and the migration's reverse)."""
    _run(connection, _REMOVE[connection.vendor]())
