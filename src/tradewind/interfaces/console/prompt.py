"""The terminal front end of `tradewind run`: the live market board above, a command prompt below (prompt_toolkit),
with history and completion of commands, flags and markets. Every line goes through the command gate; a
destructive command asks y/N; ``quit`` (confirmed) stops the system."""

from __future__ import annotations

import asyncio
import io
import itertools
import secrets
from collections.abc import Iterable

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import ANSI, FormattedText
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import Float, FloatContainer, HSplit, Layout, VSplit, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.output import Output
from rich.console import Console

from tradewind.application.commands.gate import CommandGate, Submission
from tradewind.application.ports.command_journal import Receipt, ReceiptStatus
from tradewind.domain.command_access import User
from tradewind.domain.command_language import LanguageContext
from tradewind.domain.command_language.vocabulary import completions
from tradewind.interfaces.console.board import MarketBoard
from tradewind.interfaces.console.view import render
from tradewind.interfaces.render.commands import receipt_text

SOURCE = "terminal"
_ANSWER_LINES = 200  # kept for the answers pane
_PROMPT = "tradewind> "


class CommandCompleter(Completer):
    """Completes the word under the cursor from the language's vocabulary and the configured aliases."""

    def __init__(self, context: LanguageContext) -> None:
        self._context = context

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        partial = document.get_word_before_cursor(WORD=True)
        before = document.text_before_cursor[: len(document.text_before_cursor) - len(partial)].split()
        for word in completions(before, partial, self._context):
            yield Completion(word, start_position=-len(partial))


class TerminalPrompt:
    """One operator's console: ``run`` until ``stop`` is set (by quit, Ctrl-C, Ctrl-D or a signal)."""

    def __init__(
        self,
        gate: CommandGate,
        operator: User,
        board: MarketBoard | None = None,
        *,
        title: str = "Tradewind (embedded)",
        refresh_per_second: float = 4.0,
        history: History | None = None,
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self._gate = gate
        self._operator = operator
        self._board = board
        self._title = title
        self._refresh_s = 1 / refresh_per_second
        self._session = secrets.token_hex(4)  # keys stay unique across runs: <session>:<sequence number>
        self._sequence = itertools.count(1)
        self._answers: list[str] = []
        self._awaiting: str | None = None  # the code of the command waiting for y/N
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        self._current: asyncio.Task[None] | None = None  # the line being carried out: finished, never cut short
        self.receipts: list[Receipt] = []
        self._buffer = Buffer(
            history=history or InMemoryHistory(), completer=CommandCompleter(gate.service.language),
            complete_while_typing=False, multiline=False, accept_handler=self._accept,
        )  # fmt: skip
        self.app: Application[None] = Application(
            layout=self._layout(), key_bindings=self._keys(), full_screen=board is not None, input=input, output=output
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Draw and take commands until ``stop`` is set; then leave the terminal as it was."""
        workers = [
            asyncio.create_task(self._work(stop), name="prompt commands"),
            asyncio.create_task(self._redraw(stop), name="prompt redraw"),
            asyncio.create_task(self._exit_on(stop), name="prompt exit"),
        ]
        try:
            await self.app.run_async()
        finally:
            stop.set()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if self._current is not None:  # e.g. quit itself: its receipt and audit row are written first
                await self._current

    def log_writer(self) -> PaneWriter:
        """A text stream whose lines go to the answers pane (stderr's log lines while the screen is drawn)."""
        return PaneWriter(self)

    def say(self, text: str) -> None:
        self._answers.extend(text.splitlines() or [""])
        del self._answers[:-_ANSWER_LINES]
        self.app.invalidate()

    # -- input -------------------------------------------------------------------------------------------------

    def _accept(self, buffer: Buffer) -> bool:
        self._lines.put_nowait(buffer.text)
        return False  # clear the line, keep it in history

    async def _work(self, stop: asyncio.Event) -> None:
        """One line at a time, in order: an answer before the next command runs."""
        while not stop.is_set():
            line = await self._lines.get()
            self._current = asyncio.create_task(self._line(line.strip()))
            await asyncio.shield(self._current)
            self._current = None

    async def _line(self, line: str) -> None:
        code, self._awaiting = self._awaiting, None
        if code is not None:
            if line.lower() not in ("y", "yes"):
                await self._gate.cancel_pending(code)
                self.say("not confirmed: nothing was done")
                return
            line = f"confirm {code}"
        elif not line:
            return
        self.say(f"{_PROMPT}{line}")
        key = f"{self._session}:{next(self._sequence)}"
        receipt = await self._gate.submit(Submission(SOURCE, SOURCE, self._operator, line, key))
        self.receipts.append(receipt)
        if receipt.status is ReceiptStatus.PENDING and receipt.code is not None:
            self._awaiting = receipt.code
            self.say(f"{receipt.command and receipt.command.get('type')}: are you sure? [y/N]")
            return
        self.say(receipt_text(receipt))

    def _keys(self) -> KeyBindings:
        keys = KeyBindings()

        @keys.add("c-c")
        @keys.add("c-d")
        def _leave(event: KeyPressEvent) -> None:
            event.app.exit()

        @keys.add("tab")
        def _complete(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            if buffer.complete_state is not None:
                buffer.complete_next()
            else:
                buffer.start_completion(insert_common_part=True)

        return keys

    # -- screen ------------------------------------------------------------------------------------------------

    def _layout(self) -> Layout:
        prompt = Window(FormattedTextControl(self._prompt_text), dont_extend_width=True, height=1)
        line = VSplit([prompt, Window(BufferControl(self._buffer), height=1)])
        answers = Window(FormattedTextControl(self._answer_text), wrap_lines=True, height=Dimension(min=3, weight=1))
        panes = [answers, line]
        if self._board is not None:
            panes.insert(0, Window(FormattedTextControl(self._board_text), height=Dimension(weight=3)))
        menu = Float(xcursor=True, ycursor=True, content=CompletionsMenu(max_height=8, scroll_offset=1))
        return Layout(FloatContainer(HSplit(panes), floats=[menu]), focused_element=self._buffer)

    def _prompt_text(self) -> FormattedText:
        return FormattedText([("bold", "[y/N] " if self._awaiting else _PROMPT)])

    def _answer_rows(self) -> int:
        return max(3, self.app.output.get_size().rows // 4) if self._board is not None else _ANSWER_LINES

    def _answer_text(self) -> FormattedText:
        return FormattedText([("", "\n".join(self._answers[-self._answer_rows() :]))])

    def _board_text(self) -> ANSI:
        """The board as rich draws it, cut to the rows left above the answers and the prompt."""
        assert self._board is not None
        size = self.app.output.get_size()
        out = io.StringIO()
        Console(file=out, force_terminal=True, width=size.columns).print(
            render(self._board, self._title, "type a command (help lists them); quit or Ctrl-C to stop")
        )
        rows = max(1, size.rows - self._answer_rows() - 1)
        return ANSI("\n".join(out.getvalue().splitlines()[:rows]))

    async def _redraw(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.app.invalidate()
            try:
                await asyncio.wait_for(stop.wait(), self._refresh_s)
            except TimeoutError:
                continue

    async def _exit_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        if self.app.is_running and not self.app.future.done():  # type: ignore[union-attr]
            self.app.exit()


class PaneWriter(io.TextIOBase):
    """Lines written here appear in the prompt's answers pane instead of tearing through the drawn screen."""

    def __init__(self, prompt: TerminalPrompt) -> None:
        self._prompt = prompt
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._prompt.say(line)
        return len(text)

    def isatty(self) -> bool:
        return False
