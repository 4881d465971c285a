"""Request kinds defined by the tests, discovered as the exchange discovers its own
(`exchange.kinds.discover`); each is one folder, as a real kind is."""
