"""Writes of the exchange, by concern: cases, query submission, delivery, answers, search."""
