"""Replaces `django.contrib.auth`'s `changepassword` and `createsuperuser` commands.

Both set a credential for somebody else without an audit event: whoever ran them could then
act as that person. Listed before `django.contrib.auth` in `INSTALLED_APPS`, so its commands
win. People get their first password from `person_create` (printed once, audited); after
that, only their own sign-in proves who they are.
"""
