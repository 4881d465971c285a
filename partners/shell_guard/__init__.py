"""Replaces `django.contrib.auth`'s `changepassword` and `createsuperuser` commands.

Both set a credential for somebody else without an audit event: whoever ran them could then
act as that person. Listed before `django.contrib.auth` in `INSTALLED_APPS`, so its commands
win. Nobody sets a password for somebody else: `person_create` (or `person_enrolment_reset`)
prints an enrolment code, and the person chooses their own password with it
(`POST /api/v1/auth/enrol/`) and changes it themselves (`POST /api/v1/auth/password/`).
"""
