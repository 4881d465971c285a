"""Permission-matrix rows of the traces endpoints (filled with them)."""

from tests.permission_matrix import Row

ROWS: list[Row] = []
