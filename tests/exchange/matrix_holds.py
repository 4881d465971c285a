"""Permission-matrix rows of the holds endpoints (filled with them)."""

from tests.permission_matrix import Row

ROWS: list[Row] = []
