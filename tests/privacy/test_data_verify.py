"""`data_verify` reads every stored value back and recomputes every blind index: it passes on a
sound database and names (by model, field and row key, never a value) a value moved to
another row, an index that would miss its row, and an index gone missing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from exchange.models import Query
from privacy.verification import data_verify
from tests import factories


def _raw(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def _pk(query: Query) -> Any:
    return Query._meta.pk.get_db_prep_value(query.pk, connection)


def test_a_sound_database_verifies(world: Any) -> None:
    report = data_verify()
    assert report.ok and report.rows > 0 and report.values >= report.indexes > 0
    out = StringIO()
    call_command("data_verify", stdout=out, verbosity=0)
    assert "no fault" in out.getvalue()


def _copy(column: str, source: Query, target: Query) -> None:
    """Copy one raw column from one query's row onto another's, as damage would."""
    table = Query._meta.db_table
    sql = f"UPDATE {table} SET {column} = (SELECT {column} FROM {table} WHERE id = %s) WHERE id = %s"  # noqa: S608
    _raw(sql, _pk(source), _pk(target))


@pytest.mark.parametrize("fault", ["moved value", "wrong index", "missing index"])
def test_a_damaged_row_is_named_and_fails(world: Any, fault: str) -> None:
    other = factories.query(world.officer_a, world.case_a, world.platform_x, "PX0000000009")
    where = f"gateway.Query.subject{{}} of row {world.query_a.pk}: "
    if fault == "moved value":  # a ciphertext copied onto another row: bound to its own row, it fails
        _copy("subject", other, world.query_a)
        expected = where.format("") + "does not decrypt"
    elif fault == "wrong index":
        _copy("subject_index", other, world.query_a)
        expected = where.format("_index") + "does not match its value"
    else:
        _raw(f"UPDATE {Query._meta.db_table} SET subject_index = NULL WHERE id = %s", _pk(world.query_a))  # noqa: S608
        expected = where.format("_index") + "missing beside its value"
    report = data_verify()
    assert len(report.faults) == 1 and report.faults[0].startswith(expected), report.faults
    err = StringIO()
    with pytest.raises(CommandError, match="1 fault"):
        call_command("data_verify", stderr=err, verbosity=0)
    assert "PX0000000001" not in err.getvalue() and "PX0000000009" not in err.getvalue()
