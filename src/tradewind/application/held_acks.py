"""Acknowledge a message only once its row is stored: each handler waits on the flush its row joined."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class HeldAcks:
    """The epoch the next flush resolves; a row's handler joins it with the row and returns once a flush stored it.

    Used by the consumers that buffer rows and write them in batches (the recorder, the lake sink) so that a crash at
    any moment leaves every unstored message in the broker's queue.
    """

    __slots__ = ("_epoch",)

    def __init__(self) -> None:
        self._epoch: asyncio.Future[bool] | None = None

    def join(self) -> asyncio.Future[bool]:
        """The epoch of a row buffered now: take it together with the row, with no ``await`` in between."""
        if self._epoch is None:
            self._epoch = asyncio.get_running_loop().create_future()
        return self._epoch

    async def wait(self, epoch: asyncio.Future[bool]) -> None:
        """Return once a flush has stored the row; a failed flush kept it, so the next flush's epoch is awaited."""
        while not await asyncio.shield(epoch):
            epoch = self.join()

    @contextlib.contextmanager
    def flushing(self) -> Iterator[None]:
        """Around one flush: rows buffered from here on wait for the next; earlier ones learn whether it stored them."""
        epoch, self._epoch = self._epoch, None
        try:
            yield
        except BaseException:
            _settle(epoch, stored=False)
            raise
        _settle(epoch, stored=True)


def _settle(epoch: asyncio.Future[bool] | None, *, stored: bool) -> None:
    if epoch is not None and not epoch.done():
        epoch.set_result(stored)
