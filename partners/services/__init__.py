"""Writes of the partner registry, one module per thing they change; callers import the module.

Each service takes the actor, resolves what it acts on through `partners.access` (out of
scope is missing, and audited), checks, acts and audits in one transaction.
"""
