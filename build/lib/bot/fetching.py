"""One source's fetch on a thread of its own, handing its pages over through a queue, so a source that hangs can be left behind."""

from __future__ import annotations

import queue
import threading

from bot.models import Source


class Fetch(threading.Thread):
    """One source's fetch, on a thread of its own, so a source that hangs can be left behind.

    Pages go to the pipeline through a queue and are stored there; a fetch that is abandoned
    (the cycle's deadline passed, or the service is stopping) hands over nothing more, so no
    cursor is saved for what it was reading.
    """

    _running: dict[int, Fetch] = {}  # the last fetch of each source object, while it runs
    _lock = threading.Lock()

    def __init__(self, source: Source, cursors: dict[str, str], out: queue.Queue):
        super().__init__(name=f"fetch-{source.name}", daemon=True)
        self.source, self.cursors, self.out = source, cursors, out
        self.abandoned = threading.Event()

    @classmethod
    def still_running(cls, source: Source) -> bool:
        with cls._lock:
            last = cls._running.get(id(source))
            return bool(last and last.is_alive())

    def start(self) -> None:
        with self._lock:
            self._running[id(self.source)] = self
        super().start()

    def run(self) -> None:
        try:
            for page in self.source.fetch(self.cursors):
                if not self._hand_over(page):
                    return
            self._hand_over(None)
        except BaseException as exc:  # noqa: BLE001 — any failure of one network stays with that network
            self._hand_over(exc)

    def _hand_over(self, item) -> bool:
        """Wait for room in the queue (a burst is not read far ahead of storing it); False once abandoned."""
        while not self.abandoned.is_set():
            try:
                self.out.put((self, item), timeout=0.2)
                return True
            except queue.Full:
                continue
        return False
