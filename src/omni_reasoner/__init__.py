"""omni-reasoner: token-level thinking-in-speaking (a spoken math reasoner)."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `from omni_reasoner import Reasoner` without importing torch for every subcommand.
    if name == "Reasoner":
        from omni_reasoner.api import Reasoner

        return Reasoner
    raise AttributeError(name)
