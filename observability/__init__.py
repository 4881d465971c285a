"""What operators watch: Prometheus metrics, structured logs and the readiness checks.

It sits above the exchange (it reads its rows and listens to its saves) and below the API
(whose authentication counts its refusals here), and changes nothing it observes.
"""
