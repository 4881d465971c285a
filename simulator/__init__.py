"""A simulated payment platform built on the adapter SDK, runnable as its own process.

`python -m simulator --help` runs it; `simulator.dataset` gives tests and the demo the
order numbers it knows and the answers it gives, without running it.
"""
