"""A vendor library initialised once per process and shut down by its last user."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from types import ModuleType

log = logging.getLogger(__name__)


class VendorSession(ABC):
    """Reference-counted init/shutdown of a vendor module (NVML, AMD SMI); thread-safe.

    ``acquire`` returns the initialised module (raising ``TelemetryError`` with a user message
    when it cannot start); every ``acquire`` is paired with a ``release``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs = 0
        self._module: ModuleType | None = None

    @property
    def active(self) -> bool:
        return self._refs > 0

    @abstractmethod
    def _init(self) -> ModuleType:
        """Import and initialise the vendor module."""

    @abstractmethod
    def _shutdown(self, module: ModuleType) -> None:
        """Shut the vendor module down."""

    def acquire(self) -> ModuleType:
        with self._lock:
            if self._refs == 0:
                self._module = self._init()
            self._refs += 1
            assert self._module is not None
            return self._module

    def release(self) -> None:
        """Drop one reference; the last one shuts the library down. Extra releases are ignored."""
        with self._lock:
            if self._refs == 0:
                return
            self._refs -= 1
            if self._refs == 0 and self._module is not None:
                try:
                    self._shutdown(self._module)
                except Exception as exc:  # shutting down must never fail a run
                    log.debug("%s shutdown failed: %s", type(self).__name__, exc)
                self._module = None
