"""The watchlist's API: listing and delisting by supervisors, checks by banks and platforms."""
