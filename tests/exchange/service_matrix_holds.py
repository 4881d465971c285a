"""Service-matrix rows of the holds services (filled with them)."""

from tests.service_matrix import ServiceRow

ROWS: list[ServiceRow] = []
