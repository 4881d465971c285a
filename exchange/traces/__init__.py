"""Traces: following the money from one account, tier by tier, through the banks.

`engine` asks each account's bank (`account_transfers`) and, from each answer, the next
tier; `graph` reads a trace back as its state and fund-flow graph. The services that start
and read one are `exchange.services.traces` and `exchange.selectors`.
"""
