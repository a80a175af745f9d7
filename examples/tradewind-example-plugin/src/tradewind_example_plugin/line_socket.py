"""A front end plugin: one command per line on a loopback TCP port, answered with the text a chat would get."""

from __future__ import annotations

import asyncio
import itertools

from tradewind.application.commands.gate import Submission
from tradewind.application.lifecycle import Component
from tradewind.application.plugins import FrontEndContext
from tradewind.interfaces.render.commands import receipt_text

END = "\n.\n"  # after each answer, so a client knows where it ends


def front_end(context: FrontEndContext) -> Component:
    """The ``tradewind.frontends`` entry point: options ``host`` (loopback), ``port`` (0: a free one), ``user``."""
    host = str(context.options.get("host", "127.0.0.1"))
    port = int(context.options.get("port", 0))
    user = context.users.named.get(str(context.options.get("user", "")))
    connections = itertools.count(1)
    server: asyncio.Server | None = None

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = f"{context.source} connection {next(connections)}"
        try:
            for number in itertools.count(1):
                line = await reader.readline()
                if not line:
                    break
                text = line.decode("utf-8", "replace").strip()
                submission = Submission(context.source, peer, user, text, f"{peer}:{number}")
                receipt = await context.gate.submit(submission)
                writer.write((receipt_text(receipt) + END).encode())
                await writer.drain()
        finally:
            writer.close()

    async def start() -> None:
        nonlocal server
        server = await asyncio.start_server(serve, host, port)

    async def stop() -> None:
        if server is not None:
            server.close()
            await server.wait_closed()

    return Component(f"plugin {context.source}", start, None, stop)
