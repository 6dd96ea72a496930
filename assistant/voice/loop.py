"""The loops of the voice front: audio source -> endpointer -> recogniser -> parser -> dialogue -> engine
-> speaker, and the typed-text loop (`assistant.voice.front` attaches them to a run).

Audio is read and endpointed on a worker thread (sources block: a microphone delivers in real time,
the recognisers decode while the person speaks); everything after the transcript runs on the event
loop, next to the engine. Two clocks:
- `wall`: confirmation timeouts follow `time.monotonic()` (microphone, typed text);
- `stream`: they follow the audio itself (a WAV file is read much faster than real time, so "yes"
  said 12 seconds after a read-back in the file is 12 seconds late, however fast the file is read).

With a microphone the loop is half-duplex: while MIA speaks (and a short tail after), microphone
audio is dropped, so MIA never answers its own read-back (there is no echo cancellation).
"""
from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TextIO

import numpy as np

from assistant.asr.base import Transcript
from assistant.asr.context import context_for
from assistant.asr.pipeline import Heard, Listener
from assistant.audio.pcm import SAMPLE_RATE
from assistant.dialogue import Dialogue, Reply
from assistant.dialogue.autopilot import run_call
from assistant.nlu.result import ParseResult

if TYPE_CHECKING:
    from assistant.monitor.latency import LatencyRecorder

log = logging.getLogger("mia.voice")

Echo = Callable[[str], None]
ClockMode = Literal["wall", "stream"]


# ---------------------------------------------------------------------------- output
class WaitingPrompt:
    """The typed-input prompt ("> ") while it waits on a terminal. A line printed meanwhile (a spoken alert, an
    autopilot proposal) clears the prompt, is printed, and puts the prompt back under it, so the terminal never
    reads "> MIA (alert): …" with the trader's next command on the line below."""

    def __init__(self) -> None:
        self.text: str | None = None

    def print_line(self, line: str, stream: TextIO | None = None) -> None:
        out = stream if stream is not None else sys.stdout
        if self.text and out.isatty():
            out.write(f"\r\x1b[K{line}\n{self.text}")  # (carriage return, erase the line: the prompt's place)
        else:
            out.write(line + "\n")
        out.flush()

    def clear(self, stream: TextIO | None = None) -> bool:
        """Erase the waiting prompt before a reply is printed in its place; whether it was erased."""
        out = stream if stream is not None else sys.stdout
        if self.text and out.isatty():
            out.write("\r\x1b[K")
            out.flush()
            return True
        return False

    def redraw(self, stream: TextIO | None = None) -> None:
        """Show the waiting prompt again (after `clear` and a reply)."""
        out = stream if stream is not None else sys.stdout
        if self.text:
            out.write(self.text)
            out.flush()


#: The one terminal prompt of the process (`run_text_loop` sets it; alert echoes print above it).
PROMPT = WaitingPrompt()


class AnswerOutput:
    """Where replies go: printed (always, so a headless run can be followed) and spoken."""

    def __init__(self, speaker: Any | None = None, echo: Echo | None = print, prefix: str = "MIA: ") -> None:
        self.speaker = speaker
        self.echo = echo
        self.prefix = prefix
        self.delivered: list[Reply] = []

    def deliver(self, reply: Reply) -> None:
        self.delivered.append(reply)
        if self.echo is not None:
            self.echo(f"{self.prefix}{reply.text}")
        if self.speaker is not None:
            try:
                self.speaker.say(reply.speech, reply.lang, reply.profile)
            except Exception as exc:  # a speech problem must not stop the dialogue; the text was shown
                log.warning("speech failed: %s", exc)

    def heard(self, text: str) -> None:
        if self.echo is not None:
            self.echo(f"> {text}")


# ---------------------------------------------------------------------------- transcripts -> parse
def interpret(heard: Heard, dialogue: Dialogue) -> tuple[ParseResult | None, Transcript | None]:
    """Choose what was said among the recognisers' transcripts (see `choose_parse`), with the
    dialogue's parser and language preference."""
    return choose_parse(heard, dialogue.parser, dialogue.forced_lang or dialogue.language)


#: Recognisers whose transcript is a sentence of the grammar of its own language: parsed in that language.
GRAMMAR_BACKENDS = ("pocketsphinx", "vosk", "whisper-grammar", "pocketsphinx-verified")


def choose_parse(heard: Heard, parser: Any, prefer: str | None) -> tuple[ParseResult | None, Transcript | None]:
    """Choose what was said among the recognisers' transcripts (one per listening language).

    A grammar recogniser's transcript is parsed in its own language; a free transcription
    (whisper) with every language active. A parse that matched wins, the most confident first;
    otherwise the most confident transcript's parse is kept so the refusal reason can be said.
    None when nothing usable was heard (out of grammar, cut at the maximum length).
    Shared by the voice loop and the audio test harness (assistant/harness), so both decide alike."""
    if heard.rejected is not None:
        return None, None
    candidates = sorted((t for t in heard.transcripts.values() if t.accepted), key=lambda t: -t.confidence)
    seen: set[int] = set()
    first: tuple[ParseResult, Transcript] | None = None
    for tr in candidates:
        if id(tr) in seen:  # one recogniser may serve two languages
            continue
        seen.add(id(tr))
        lang = tr.lang if tr.backend in GRAMMAR_BACKENDS and tr.lang in parser.languages else "auto"
        parsed = parser.parse(tr.text, lang, prefer=prefer)
        if parsed.matched:
            return parsed, tr
        if first is None:
            first = (parsed, tr)
    return first if first is not None else (None, None)


def _raw_text(heard: Heard) -> str:
    texts = [t.text for t in heard.transcripts.values() if t.text]
    return texts[0] if texts else ""


# ---------------------------------------------------------------------------- voice loop
@dataclass
class LoopResult:
    replies: list[Reply] = field(default_factory=list)
    utterances: int = 0  # endpointed utterances (decoded or cut)
    audio_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)  # per utterance: endpoint decision -> reply ready
    decode_s: list[float] = field(default_factory=list)  # per utterance: endpoint decision -> transcripts


_END = object()


class VoiceLoop:
    """Listen to one audio source and hold the conversation until the source ends or `stop` is set."""

    def __init__(
        self,
        dialogue: Dialogue,
        listener: Listener,
        output: AnswerOutput,
        *,
        clock: ClockMode = "wall",
        half_duplex: bool = False,
        echo_tail_s: float = 0.3,
        tick_s: float = 0.25,
        say_when_nothing_heard: bool = False,
        latency: LatencyRecorder | None = None,
        feed: Any = None,
    ) -> None:
        self.dialogue = dialogue
        self.latency = latency  # where each command's stage times go (the monitor and the dashboard read them)
        # what the autopilot must say between utterances (assistant.dialogue.autopilot.AutopilotFeed)
        self.feed = feed
        self.listener = listener
        self.output = output
        self.clock = clock
        self.half_duplex = half_duplex
        self.echo_tail_s = echo_tail_s
        self.tick_s = tick_s
        # A file with nothing in it deserves an answer; a quiet room does not.
        self.say_when_nothing_heard = say_when_nothing_heard
        self._stop_thread = threading.Event()
        self._stream_t = 0.0
        self._timers: set[asyncio.Task[None]] = set()

    def _now(self) -> float:
        return self._stream_t if self.clock == "stream" else time.monotonic()

    # -- worker thread: source -> endpointer -> recognisers
    def _produce(self, source: Iterable[np.ndarray], loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        def put(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop closed while this thread was reading
                self._stop_thread.set()

        samples = 0
        next_tick = self.tick_s
        speaker = self.output.speaker
        quiet_until = 0.0
        muted = False
        try:
            for chunk in source:
                if self._stop_thread.is_set():
                    break
                samples += len(chunk)
                t = samples / SAMPLE_RATE
                if self.half_duplex and speaker is not None:
                    if speaker.busy:
                        quiet_until = time.monotonic() + self.echo_tail_s
                    if time.monotonic() < quiet_until:
                        if not muted:
                            self.listener.reset()  # drop the half-heard echo
                            muted = True
                        continue
                    muted = False
                for heard in self.listener.process(chunk):
                    put(("heard", heard, heard.utterance.end_s))
                if t >= next_tick:
                    put(("tick", None, t))
                    next_tick = t + self.tick_s
            if not self._stop_thread.is_set():
                for heard in self.listener.flush():
                    put(("heard", heard, heard.utterance.end_s))
            put(("tick", None, samples / SAMPLE_RATE))
        except Exception as exc:  # a source failure (device unplugged, unreadable file) ends the loop
            put(("error", exc, samples / SAMPLE_RATE))
        finally:
            put(_END)

    async def run(self, source: Iterable[np.ndarray], stop: asyncio.Event | None = None) -> LoopResult:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        result = LoopResult()
        worker = threading.Thread(target=self._produce, args=(source, loop, queue), name="mia-listen", daemon=True)
        self._stop_thread.clear()
        worker.start()
        stopper = asyncio.create_task(stop.wait()) if stop is not None else None
        error: BaseException | None = None
        if self.feed is not None:  # engine listeners run on this loop: queue directly
            self.feed.attach(lambda call: queue.put_nowait(("call", call, self._stream_t)))
        try:
            while True:
                timeout = None
                if self.clock == "wall":
                    deadline = self.dialogue.next_deadline()
                    if deadline is not None:
                        timeout = max(0.0, deadline - time.monotonic())
                getter = asyncio.ensure_future(queue.get())
                waiting = {getter} | ({stopper} if stopper is not None else set())
                done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    if stopper is not None and stopper in done:
                        break
                    await self._deliver(await self.dialogue.expire(self._now()), result)
                    continue
                item = getter.result()
                if item is _END:
                    break
                kind, payload, t = item
                if self.clock == "stream":
                    self._stream_t = max(self._stream_t, t)
                result.audio_s = max(result.audio_s, t)
                if kind == "error":
                    error = payload
                    break
                if kind == "tick":
                    await self._deliver(await self.dialogue.expire(self._now()), result)
                    continue
                if kind == "call":
                    await self._deliver(await run_call(self.dialogue, payload), result)
                    continue
                result.utterances += 1
                await self._on_heard(payload, result)
        finally:
            self._stop_thread.set()
            if self.feed is not None:
                self.feed.detach()
            if stopper is not None:
                stopper.cancel()
            for task in list(self._timers):
                task.cancel()
        if error is None and self.clock == "stream":
            # End of the file: what was still waiting for a "yes" can no longer get one.
            await self._deliver(await self.dialogue.close_input(self._now()), result)
            if self.say_when_nothing_heard and not result.replies:
                await self._deliver(await self.dialogue.not_understood(self._now()), result)
        if error is not None:
            raise error
        return result

    def _sync_context(self) -> None:
        """Tell the recognisers what the dialogue waits for now (a read-back's yes / no, a follow-up
        question's answer), or that it waits for nothing: after every answer and every tick, so
        the context is cleared once the read-back is answered, expired or dropped."""
        ctx = context_for(self.dialogue.pending, self.dialogue.followup)
        if ctx != self.listener.context:
            self.listener.set_context(ctx)

    async def _deliver(self, reply: Reply | None, result: LoopResult) -> None:
        self._sync_context()
        if reply is None:
            return
        result.replies.append(reply)
        self.output.deliver(reply)
        speaker = self.output.speaker
        waiting = reply.pending or reply.followup
        if waiting is not None and self.clock == "wall" and speaker is not None:
            # The delay to answer starts when the question has been heard, not when it was queued.
            task = asyncio.create_task(self._restart_after_speech(waiting.id, speaker))
            self._timers.add(task)
            task.add_done_callback(self._timers.discard)

    async def _restart_after_speech(self, pending_id: str, speaker: Any) -> None:
        await asyncio.to_thread(speaker.flush, 60.0)
        await self.dialogue.restart_timer(pending_id)

    async def _on_heard(self, heard: Heard, result: LoopResult) -> None:
        now = self._now()
        result.decode_s.append(heard.latency_s)
        t_parse = time.monotonic()
        parsed, transcript = interpret(heard, self.dialogue)
        t_engine = time.monotonic()
        if parsed is None or transcript is None:
            raw = _raw_text(heard)
            self.output.heard(f"({raw})" if raw else "(?)")
            reply = await self.dialogue.not_understood(now, transcript=raw, source="voice")
        else:
            self.output.heard(f"{transcript.text}  [{transcript.backend} {transcript.confidence:.2f}]")
            reply = await self.dialogue.handle(parsed, now, confidence=transcript.confidence, source="voice")
        done = time.monotonic()
        total = done - heard.utterance.closed_at
        result.latencies_s.append(total)
        if self.latency is not None:
            self.latency.record("transcript", heard.latency_s)
            self.latency.record("intent", t_engine - t_parse)
            self.latency.record("engine", done - t_engine)
            self.latency.record("total", total)
        await self._deliver(reply, result)

    def stop(self) -> None:
        self._stop_thread.set()


# ---------------------------------------------------------------------------- typed loop
#: Words that end a typed session at the terminal like Ctrl-D does: a new user types "quit" before
#: reading the hint. Only the whole line counts ("quit trading" is a command for the parser).
QUIT_WORDS = frozenset({"quit", "exit", "quitter", "quitte", "au revoir", ":q"})


def is_quit_line(text: str) -> bool:
    return text.strip().strip(".!").strip().casefold() in QUIT_WORDS


def _stdin_reader(stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
    # A daemon thread, not the default executor: a blocked readline() must never hold up the exit.
    try:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
    except (OSError, ValueError) as exc:  # closed or unreadable stream: end of input
        log.info("typed input ended: %s", exc)
    finally:
        loop.call_soon_threadsafe(queue.put_nowait, _END)


async def run_text_loop(
    dialogue: Dialogue,
    output: AnswerOutput,
    *,
    stream: TextIO | None = None,
    stop: asyncio.Event | None = None,
    prompt: str | None = None,
    source: str = "text",
    feed: Any = None,
    quit_words: bool = True,
    on_end: Callable[[str], None] | None = None,
) -> list[Reply]:
    """Typed commands, one per line, until end of input, a quit word ("quit", "quitter") or `stop`.
    Confirmation timeouts use the wall clock, and an expired read-back is announced when it
    expires."""
    stream = stream or sys.stdin
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    threading.Thread(target=_stdin_reader, args=(stream, loop, queue), name="mia-typed", daemon=True).start()
    replies: list[Reply] = []
    stopper = asyncio.create_task(stop.wait()) if stop is not None else None
    if feed is not None:  # the autopilot's proposals and trades, said between typed lines
        feed.attach(lambda call: queue.put_nowait(("call", call)))

    def show(reply: Reply | None) -> None:
        if reply is not None:
            replies.append(reply)
            output.deliver(reply)

    try:
        while True:
            if prompt and output.echo is not None:
                print(prompt, end="", flush=True)
                PROMPT.text = prompt
            while True:
                deadline = dialogue.next_deadline()
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                getter = asyncio.ensure_future(queue.get())
                waiting = {getter} | ({stopper} if stopper is not None else set())
                done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    break
                getter.cancel()
                if stopper is not None and stopper in done:
                    return replies
                expired = await dialogue.expire()
                erased = expired is not None and PROMPT.clear()
                show(expired)
                if erased:
                    PROMPT.redraw()
            line = getter.result()
            if isinstance(line, tuple):  # (not typed: the prompt still waits on screen)
                PROMPT.clear()
                show(await run_call(dialogue, line[1]))
                continue
            PROMPT.text = None
            if line is _END or (quit_words and is_quit_line(line)):
                show(await dialogue.close_input())
                if on_end is not None:  # "eof" (end of input, Ctrl-D) or "quit" (a quit word)
                    on_end("eof" if line is _END else "quit")
                return replies
            text = line.strip()
            if not text:
                continue
            show(await dialogue.handle(text, source=source))
    finally:
        PROMPT.text = None
        if feed is not None:
            feed.detach()
        if stopper is not None:
            stopper.cancel()


__all__ = ["PROMPT", "AnswerOutput", "LoopResult", "WaitingPrompt", "VoiceLoop", "choose_parse", "interpret", "run_text_loop"]
