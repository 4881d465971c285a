"""Getting queries to partners and closing the ones nobody answers.

Bottom to top, without a cycle: `push` (the webhook call and its Celery task), `outbox`
(relays new queries to that task), `redispatch` (sends again the pushes whose attempt went
quiet), `inbox` (pull partners lease queries and renew their leases), `expiry`; the periodic
tasks are in `exchange.tasks`. `queues` is Celery's router: each push goes to its partner's
queue, so a slow partner's calls run on workers of their own.
"""
