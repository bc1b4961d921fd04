"""wsreplay's pytest plugin: replay (or record) a Thenvoi / Phoenix WebSocket session per test.

The plugin itself is `wsreplay_pytest.plugin` (entry point `pytest11: wsreplay`); see README.md.
"""

from .process import WsreplayError, find_binary
from .session import Settings, WsreplayServer

__all__ = ["WsreplayError", "WsreplayServer", "Settings", "find_binary"]
__version__ = "0.1.0"
