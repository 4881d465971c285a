"""The AFX adapter SDK: what a bank's or platform's engineers use to talk to the gateway.

It depends on nothing from the gateway, so it can be copied into an adapter's own project.
"""
