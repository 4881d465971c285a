"""Service-matrix rows of the traces services (filled with them)."""

from tests.service_matrix import ServiceRow

ROWS: list[ServiceRow] = []
