"""`omni-reasoner serve`: a streaming WebSocket/HTTP server and a self-contained web page."""

from omni_reasoner.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(*args, **kwargs):
    """Imported lazily so that `import omni_reasoner.serve` needs no web extra."""
    from omni_reasoner.serve.app import create_app as create

    return create(*args, **kwargs)
