"""The HTTP API's conventions (errors, permissions, pagination) and its versioned URLs."""
