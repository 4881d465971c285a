from ._refused import RefusedCommand as Command

__all__ = ["Command"]
