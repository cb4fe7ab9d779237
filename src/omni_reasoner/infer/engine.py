"""The streaming engine: decode the interleaved stream with a KV cache, under a schedule.

For fixed schedules the plan forces the switch tokens and the `<pad>` slots; with the
calculator trace the engine evaluates `<<expr=` itself and forces the result. At batch
size 1 every run of forced tokens is fed in one forward pass (`feed_forced_together`),
which is what makes the paper's `<pad>` layout cheap; the batched path (evaluation)
feeds one token per sequence per step. Spoken tokens go to `on_spoken` as they appear, and
reasoning tokens (calculator results included) to `on_reasoning`, so a caller can show both live.
An answer that falls into a loop is cut (`LoopGuard`), in both paths alike.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from omni_reasoner.format.schedule import (
    Schedule,
    as_schedule,
    parse_stream,
    tokens_before_first_spoken,
)
from omni_reasoner.format.tokens import AUDIO_TOKENS, SPEAK, SPECIAL_TOKENS, THINK
from omni_reasoner.infer.plan import Force, Free, allowed_specials, content_allowed, slot_plan
from omni_reasoner.model.audio_thinker import AudioLayout, AudioPrompt, prompt_embeds
from omni_reasoner.model.tokenizer import TokenPieces
from omni_reasoner.train.examples import encode_prompt

MAX_QUESTION_CHARS = 2000
LOOP_WINDOW = 40  # content tokens of one stream (spoken, or reasoning) that LoopGuard looks at
LOOP_MAX_DISTINCT = 4  # ... and how few different tokens among them make a loop


@dataclass
class Generation:
    question: str
    schedule: str
    stream: list[str]
    spoken_text: str
    reasoning_text: str
    answer: str | None
    tokens_before_first_spoken: int | None
    time_to_first_spoken_s: float | None
    total_s: float
    generated_tokens: int
    forced_tokens: int
    forward_passes: int
    problems: list[str] = field(default_factory=list)
    prompt_tokens: int = 0  # what the Thinker read first: question tokens, or audio frames
    stopped: bool = True  # the stream ended itself; False: cut (max_new_tokens, or a loop)
    looped: bool = False  # cut because it fell into a loop (LoopGuard)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


PREALLOCATE_FROM = 512  # batched decoding budgets (prompt + new tokens) that get a static cache


def _cache_of(output):
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


class Calculator:
    """Watches the reasoning text; after `<<expr=` returns the tokens of `result>>`."""

    def __init__(self, pieces: TokenPieces):
        self.pieces = pieces
        self.text = ""

    def observe(self, piece: str) -> list[int]:
        from omni_reasoner.data.traces import evaluate_expression

        self.text += piece
        open_at = self.text.rfind("<<")
        if open_at < 0 or self.text.rfind(">>") > open_at or not self.text.endswith("="):
            return []
        expression = self.text[open_at + 2 : -1]
        if "=" in expression:
            return []
        try:
            result = evaluate_expression(expression)
        except (ValueError, ZeroDivisionError, SyntaxError):
            return []
        ids, _ = self.pieces.encode(result + ">>")
        return ids

    def feed(self, piece: str, queued: list[int]) -> None:
        """Observe a reasoning piece; queue the result tokens unless some still wait."""
        produced = self.observe(piece)
        if not queued:
            queued.extend(produced)


class LoopGuard:
    """Ends an answer that has fallen into a loop ("37.37.37..."): one of its streams whose
    last LOOP_WINDOW content tokens hold at most LOOP_MAX_DISTINCT different tokens. Such an
    answer is already lost; left alone it runs on to max_new_tokens, and a Talker voices it
    all. No real stream comes close: forty spoken tokens are a dozen different words, and the
    scratchpad's most repetitive column ("1+1+0=02,") has six different tokens."""

    def __init__(self) -> None:
        self.recent: dict[bool, list[str]] = {True: [], False: []}  # keyed by "is reasoning"

    def looping(self, token: str, mode: str | None) -> bool:
        if token in SPECIAL_TOKENS:
            return False
        tail = self.recent[mode == THINK]
        tail.append(token)
        del tail[:-LOOP_WINDOW]
        return len(tail) == LOOP_WINDOW and len(set(tail)) <= LOOP_MAX_DISTINCT


def ends_in_loop(stream: list[str]) -> bool:
    """Whether LoopGuard cut this stream (for the batched path, which returns streams only)."""
    guard, mode = LoopGuard(), None
    for token in stream:
        if token in (SPEAK, THINK):
            mode = token
        if guard.looping(token, mode):
            return True
    return False


def check_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    for token in (*SPECIAL_TOKENS, *AUDIO_TOKENS):
        if token in question:
            raise ValueError(f"the question contains the reserved token {token!r}")
    return question.strip()


class SlotMasks:
    """Logit masks per slot kind, built once per tokenizer."""

    def __init__(self, tokenizer, device):
        self.special_ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
        vocab = len(tokenizer)
        self.vocab = vocab
        base = torch.zeros(vocab, dtype=torch.bool)
        base[:vocab] = True
        for special_id in tokenizer.all_special_ids:
            base[special_id] = False
        self.content = base.to(device)
        self._cache: dict = {}
        self.device = device

    def mask(self, slot: Free) -> torch.Tensor:
        key = (slot.kind, slot.reasoning_done, slot.mode)
        if key not in self._cache:
            allowed = (
                self.content.clone() if content_allowed(slot) else torch.zeros_like(self.content)
            )
            for token in allowed_specials(slot):
                allowed[self.special_ids[token]] = True
            self._cache[key] = allowed
        return self._cache[key]


def choose(
    logits: torch.Tensor, allowed: torch.Tensor, temperature: float, top_p: float, generator
) -> int:
    logits = logits.float()[: allowed.shape[0]].masked_fill(~allowed, float("-inf"))
    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, 0) - sorted_probs < top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))


class Engine:
    """Holds a Thinker and its tokenizer; generates one or many answers under a schedule."""

    def __init__(self, model, tokenizer, trace_style: str = "calculator", device=None, reader=None):
        """`reader`: a `model.reader.TextReader` the checkpoint was trained with; text
        prompts then enter as embeddings (the question read by the encoder too)."""
        self.model = model.eval()
        self.reader = reader.eval() if reader is not None else None
        self.tokenizer = tokenizer
        self.pieces = TokenPieces(tokenizer)
        self.trace_style = trace_style
        self.device = device or next(model.parameters()).device
        self.masks = SlotMasks(tokenizer, self.device)
        self.id_to_special = {v: k for k, v in self.masks.special_ids.items()}
        # transformers 5 renamed `past_key_values` to `cache`; accept either backbone.
        self._cache_arg = (
            "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        )
        self._layout: AudioLayout | None = None

    def _batch_cache(self, length: int) -> dict:
        """A preallocated KV cache for batched decoding, where the backbone supports one.

        A growing cache copies itself at every step, so a batch of long streams (an early
        checkpoint that never stops, a scratchpad trace) costs time quadratic in their length:
        64 streams of 1,440 tokens took 374 s with it and 113 s preallocated, the same tokens.
        A preallocated cache attends over its whole length from the first step, though, so
        short budgets (the calculator trace's, 130-350 tokens) keep the growing one: 40
        answers that stop near 45 tokens of a 200-token budget took 1.2 s with it, 1.5 s
        preallocated."""
        if length < PREALLOCATE_FROM or not getattr(self.model, "_can_compile_fullgraph", False):
            return {}
        from transformers import StaticCache

        return {self._cache_arg: StaticCache(config=self.model.config, max_cache_len=length)}

    def _audio_embeds(self, prompt: AudioPrompt) -> torch.Tensor:
        """(L, hidden) prefill inputs of a spoken question (needs the audio tokens)."""
        if self._layout is None:
            self._layout = AudioLayout.of(self.tokenizer)
        return prompt_embeds(self.model, self._layout, prompt)

    def _read_embeds(self, questions: list[str]) -> list[torch.Tensor]:
        """(L, hidden) prefill inputs of text prompts read through the reader."""
        prompts = [encode_prompt(q, self.pieces) for q in questions]
        embed = self.model.get_input_embeddings()
        return self.reader.fuse(embed, self.tokenizer, questions, prompts)

    def _token(self, token_id: int) -> str:
        return self.id_to_special.get(token_id) or self.pieces.piece(token_id)

    @torch.inference_mode()
    def generate(
        self,
        question: str | AudioPrompt,
        schedule: str | Schedule = "interleave:2:8",
        max_new_tokens: int = 1024,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        on_spoken: Callable[[str], None] | None = None,
        feed_forced_together: bool = True,
        on_reasoning: Callable[[str], None] | None = None,
        on_spoken_state: Callable[[str, torch.Tensor], None] | None = None,
        on_pause: Callable[[], None] | None = None,
    ) -> Generation:
        """One answer, timed from the end of the question, streaming spoken and reasoning
        pieces out as they are produced (the two callbacks never see the same piece).

        `on_spoken_state(piece, state)` gets, for each spoken piece, the Thinker's state at
        its position (last hidden layer plus input embedding, what a neural Talker reads).
        A state exists once the piece has been fed back, so it arrives one forward pass
        after the piece itself; the last pieces get one extra pass at the end.

        `on_pause()` is called when the stream switches to reasoning (a `<think>` marker): the
        spoken stream stops here for a while. A schedule forces that marker without a forward
        pass, so a caller learns of the pause one pass before the first reasoning piece.

        `question` may be an `AudioPrompt` (the e2e path): its embeddings are the first
        forward pass, ids follow as for text."""
        from omni_reasoner.eval.scoring import extract_answer

        audio = question if isinstance(question, AudioPrompt) else None
        question = str(audio) if audio is not None else check_question(question)
        schedule = as_schedule(schedule)
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        plan = slot_plan(schedule)
        calculator = Calculator(self.pieces) if self.trace_style == "calculator" else None
        t0 = time.perf_counter()
        past = logits = None
        forced = passes = 0
        if audio is not None or self.reader is not None:  # prefill from embeddings
            embeds = self._audio_embeds(audio) if audio else self._read_embeds([question])[0]
            logits, past = self._forward_embeds(embeds)
            passes += 1
            prompt, prompt_tokens = [], len(embeds)
        else:
            prompt = encode_prompt(question, self.pieces)
            prompt_tokens = len(prompt)
        pending: list[int] = list(prompt)
        # the spoken piece each pending id carries (None for the rest): whose state to hand over
        pending_spoken: list[str | None] = [None] * len(pending)
        want_states = on_spoken_state is not None
        stream: list[str] = []
        queued: list[int] = []  # calculator results waiting for reasoning slots
        mode = None
        first_spoken_at = first_spoken_time = None
        slot = next(plan)
        stopped = looped = False
        guard = LoopGuard()
        while len(stream) < max_new_tokens:
            if isinstance(slot, Force) or (queued and isinstance(slot, Free) and mode == THINK):
                token_id = (
                    self.masks.special_ids[slot.token] if isinstance(slot, Force) else queued.pop(0)
                )
                forced += 1
                if pending and not feed_forced_together:  # the baseline: one token per forward pass
                    logits, past = self._feed(pending, pending_spoken, past, on_spoken_state)
                    passes += 1
                    pending, pending_spoken = [], []
                pending.append(token_id)
            else:
                if pending:
                    logits, past = self._feed(pending, pending_spoken, past, on_spoken_state)
                    passes += 1
                    pending, pending_spoken = [], []
                token_id = choose(logits, self.masks.mask(slot), temperature, top_p, generator)
                pending.append(token_id)
            pending_spoken.append(None)
            token = self._token(token_id)
            stream.append(token)
            if token in (SPEAK, THINK):
                mode = token
                if token == THINK and on_pause is not None:
                    on_pause()
            elif token not in SPECIAL_TOKENS:
                if mode == THINK and calculator is not None:
                    calculator.feed(token, queued)
                elif mode != THINK and first_spoken_at is None:
                    first_spoken_time = time.perf_counter() - t0
                    first_spoken_at = tokens_before_first_spoken(stream)
                if mode != THINK:
                    pending_spoken[-1] = token
                if mode != THINK and on_spoken is not None:
                    on_spoken(token)
                elif mode == THINK and on_reasoning is not None:
                    on_reasoning(token)
            if guard.looping(token, mode):
                looped = True
                break
            try:
                slot = plan.send(token)
            except StopIteration:
                stopped = True
                break
        if want_states and any(pending_spoken):
            self._feed(pending, pending_spoken, past, on_spoken_state)
        total = time.perf_counter() - t0
        parsed = parse_stream(stream)
        return Generation(
            question=question,
            schedule=schedule.name,
            stream=stream,
            spoken_text=parsed.spoken_text,
            reasoning_text=parsed.reasoning_text,
            answer=extract_answer(parsed.spoken_text),
            tokens_before_first_spoken=first_spoken_at,
            time_to_first_spoken_s=first_spoken_time,
            total_s=total,
            generated_tokens=len(stream),
            forced_tokens=forced,
            forward_passes=passes,
            problems=parsed.problems,
            prompt_tokens=prompt_tokens,
            stopped=stopped,
            looped=looped,
        )

    def _forward(self, ids: list[int], past, states: bool = False):
        input_ids = torch.tensor([ids], device=self.device)
        out = self.model(
            input_ids=input_ids,
            use_cache=True,
            logits_to_keep=1,
            output_hidden_states=states,
            **{self._cache_arg: past},
        )
        if not states:
            return out.logits[0, -1], _cache_of(out)
        embedded = self.model.get_input_embeddings()(input_ids)
        return out.logits[0, -1], _cache_of(out), (out.hidden_states[-1] + embedded)[0]

    def _forward_embeds(self, embeds: torch.Tensor):
        """The first forward pass of a spoken question: (L, hidden) inputs, no cache yet."""
        out = self.model(inputs_embeds=embeds[None], use_cache=True, logits_to_keep=1)
        return out.logits[0, -1], _cache_of(out)

    def _feed(self, ids, spoken, past, on_spoken_state):
        """A forward pass over `ids`; hands the states of the spoken ones to the callback."""
        if on_spoken_state is None or not any(spoken):
            return self._forward(ids, past)
        logits, past, states = self._forward(ids, past, states=True)
        for piece, state in zip(spoken, states, strict=True):
            if piece is not None:
                on_spoken_state(piece, state.float())
        return logits, past

    @torch.inference_mode()
    def generate_batch(
        self,
        questions: list[str | AudioPrompt],
        schedule: str | Schedule,
        max_new_tokens: int = 1024,
    ) -> list[list[str]]:
        """Greedy streams for many questions at once (evaluation): one token per sequence per step.

        Questions may be `AudioPrompt`s (the e2e path); their prompts enter as embeddings."""
        schedule = as_schedule(schedule)
        n = len(questions)
        embed = self.model.get_input_embeddings()
        prompts = [
            self._audio_embeds(q)
            if isinstance(q, AudioPrompt)
            else encode_prompt(check_question(q), self.pieces)
            for q in questions
        ]
        if self.reader is not None:  # text prompts read through the reader, as embeddings
            texts = [i for i, q in enumerate(questions) if not isinstance(q, AudioPrompt)]
            read = self._read_embeds([check_question(questions[i]) for i in texts]) if texts else []
            for i, embeds in zip(texts, read, strict=True):
                prompts[i] = embeds
        embedded = any(isinstance(p, torch.Tensor) for p in prompts)
        width = max(len(p) for p in prompts)
        pad_id = self.tokenizer.pad_token_id
        ids = torch.full((n, width), pad_id, dtype=torch.long)
        attention = torch.zeros((n, width), dtype=torch.long)
        for i, p in enumerate(prompts):  # left padding: every prompt ends at the same column
            if not isinstance(p, torch.Tensor):
                ids[i, width - len(p) :] = torch.tensor(p)
            attention[i, width - len(p) :] = 1
        ids, attention = ids.to(self.device), attention.to(self.device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        inputs = {"input_ids": ids}
        if embedded:  # one embedding row per prompt, id prompts embedded here
            rows = embed(ids)
            for i, p in enumerate(prompts):
                if isinstance(p, torch.Tensor):
                    rows[i, width - len(p) :] = p.to(rows.dtype)
            inputs = {"inputs_embeds": rows}
        out = self.model(
            **inputs,
            attention_mask=attention,
            position_ids=positions,
            use_cache=True,
            logits_to_keep=1,
            **self._batch_cache(width + max_new_tokens),
        )
        past, logits = _cache_of(out), out.logits[:, -1]
        plans = [slot_plan(schedule) for _ in range(n)]
        slots = [next(p) for p in plans]
        calcs = [
            Calculator(self.pieces) if self.trace_style == "calculator" else None for _ in range(n)
        ]
        queued: list[list[int]] = [[] for _ in range(n)]
        modes: list[str | None] = [None] * n
        guards = [LoopGuard() for _ in range(n)]
        streams: list[list[str]] = [[] for _ in range(n)]
        active = [True] * n
        next_pos = positions[:, -1] + 1
        for _ in range(max_new_tokens):
            chosen = []
            for i in range(n):
                if not active[i]:
                    chosen.append(pad_id)
                    continue
                slot = slots[i]
                if isinstance(slot, Force):
                    token_id = self.masks.special_ids[slot.token]
                elif queued[i] and modes[i] == THINK:
                    token_id = queued[i].pop(0)
                else:
                    token_id = choose(logits[i], self.masks.mask(slot), 0.0, 1.0, None)
                token = self._token(token_id)
                streams[i].append(token)
                if token in (SPEAK, THINK):
                    modes[i] = token
                elif token not in SPECIAL_TOKENS and modes[i] == THINK and calcs[i] is not None:
                    calcs[i].feed(token, queued[i])
                try:
                    slots[i] = plans[i].send(token)
                except StopIteration:
                    active[i] = False
                if guards[i].looping(token, modes[i]):
                    active[i] = False
                chosen.append(token_id)
            if not any(active):
                break
            step_ids = torch.tensor(chosen, device=self.device).unsqueeze(1)
            attention = torch.cat(
                [attention, torch.ones((n, 1), dtype=attention.dtype, device=self.device)], dim=1
            )
            out = self.model(
                input_ids=step_ids,
                attention_mask=attention,
                position_ids=next_pos.unsqueeze(1),
                use_cache=True,
                **{self._cache_arg: past},
            )
            past, logits = _cache_of(out), out.logits[:, -1]
            next_pos = next_pos + 1
        return streams
