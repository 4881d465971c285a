"""The bottom layer: the domain's vocabulary that every other layer speaks.

Errors with codes (`core.errors`), roles (`core.roles`) and who acts (`core.actors`). It
imports nothing of AFX and nothing of Django REST framework, so any layer may use it.
"""
