"""The console: server-rendered pages (Django templates and htmx) for AFX's people.

It calls the same services, selectors and access layer as the API, so it has no permission
rules of its own beyond naming the roles each page admits (`console.access.ConsoleView`).
It never imports `api`, nor `api` it: the two are side by side above `stats`.
"""
