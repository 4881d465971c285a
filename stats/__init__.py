"""The centre's figures: what its queries, traces, stops and freezes came to over a time range."""
