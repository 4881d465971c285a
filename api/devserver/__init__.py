"""`manage.py runserver` that passes the raw request target, as gunicorn does.

Adapters sign the path and query exactly as sent (RFC 9421 `@path`, `@query`), and WSGI
servers hand Django a decoded `PATH_INFO`, in which `%2A` and `*` look the same. gunicorn
adds the raw target as `RAW_URI`; the standard library's server does not, so this app's
`runserver` does. It is listed before `django.contrib.staticfiles` in `INSTALLED_APPS`,
whose `runserver` it extends (the first app naming a command wins).
"""
