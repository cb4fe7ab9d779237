"""omni-reasoner: token-level thinking-in-speaking (a spoken math reasoner)."""

__version__ = "0.1.0"
