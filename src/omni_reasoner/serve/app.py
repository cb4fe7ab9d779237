"""The ASGI app: the page, the WebSocket sessions, `/v1/ask`, an OpenAI-compatible
`/v1/chat/completions`, and `/healthz`, all over one loaded Thinker and Talker.

Security by default: the server binds to 127.0.0.1; on a loopback address it only answers
requests addressed to localhost (a DNS-rebinding page cannot reach it); a WebSocket or a
POST from another origin than the server's own (or one listed with `--allow-origin`) is
refused; every body and frame has a size limit; no request names a file on the server.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import time
import uuid
import wave
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from omni_reasoner.checks import is_count
from omni_reasoner.serve.config import ServeConfig
from omni_reasoner.serve.session import CLOSE_BUSY, CLOSE_POLICY, Session, pcm16_bytes
from omni_reasoner.serve.worker import Worker

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
log = logging.getLogger("omni_reasoner.serve")


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = "bad_request"):
        super().__init__(message)
        self.status, self.code = status, code


def _error(status: int, code: str, message: str) -> JSONResponse:
    """OpenAI-style error body, so standard clients show the message."""
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "code": code}}, status
    )


def origin_allowed(origin: str | None, host: str | None, config: ServeConfig) -> bool:
    """No Origin (a script, not a browser), the server's own origin, or a listed one."""
    if not origin:
        return True
    if origin in config.allowed_origins:
        return True
    return bool(host) and urlsplit(origin).netloc == host


def create_app(config: ServeConfig | None = None, reasoner=None, talker=None) -> FastAPI:
    """The app over one Reasoner and Talker; loads them from `config` when not given."""
    config = (config or ServeConfig()).validate()
    if reasoner is None:
        from omni_reasoner.api import Reasoner

        reasoner = Reasoner.load(config.model)
    if talker is None:
        from omni_reasoner.model.talker import load_talker

        talker = load_talker(config.talker)
    worker = Worker(reasoner, talker, config.concurrency, config.turn_tokens)
    if config.warm_up:
        warm_up(reasoner, talker)
    model = str(getattr(reasoner, "path", config.model or "default"))

    app = FastAPI(title="omni-reasoner", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config, app.state.worker, app.state.sessions = config, worker, 0
    if config.host in LOOPBACK:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOCAL_HOSTS)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest):
        return _error(exc.status, exc.code, str(exc))

    @app.get("/")
    async def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz")
    async def healthz():
        return {
            "status": "ok",
            "model": model,
            "talker": worker.talker.name,
            "sample_rate": worker.talker.sample_rate,
            "concurrency": config.concurrency,
            "sessions": app.state.sessions,
            "answers_waiting": worker.turns.waiting,
            "limits": config.limits(),
        }

    @app.websocket("/ws")
    async def websocket(ws: WebSocket):
        if not origin_allowed(ws.headers.get("origin"), ws.headers.get("host"), config):
            await ws.close(code=CLOSE_POLICY, reason="origin not allowed")
            return
        await ws.accept()
        if app.state.sessions >= config.max_sessions:
            message = f"the server is at its limit of {config.max_sessions} sessions; try later"
            await ws.send_text(json.dumps({"type": "error", "code": "busy", "message": message}))
            await ws.close(code=CLOSE_BUSY, reason=message[:120])
            return
        app.state.sessions += 1
        try:
            await Session(ws, worker, config, model).run()
        finally:
            app.state.sessions -= 1

    async def _checked_body(request: Request) -> None:
        if not origin_allowed(request.headers.get("origin"), request.headers.get("host"), config):
            raise BadRequest("origin not allowed", 403, "origin")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > config.max_message_bytes:
            raise BadRequest(
                f"the request has {length} bytes; the limit is {config.max_message_bytes}",
                413,
                "too_large",
            )

    async def _json(request: Request) -> dict:
        body = await request.body()
        if len(body) > config.max_message_bytes:
            raise BadRequest(f"the request is over {config.max_message_bytes} bytes", 413)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data

    @app.post("/v1/ask")
    async def ask(request: Request):
        """JSON {"text": ...} or a multipart form with the audio file in field `audio`."""
        await _checked_body(request)
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            question = await _audio_question(request, config)
            options = {}
        elif kind.startswith("application/json"):
            data = await _json(request)
            question = data.get("text")
            if not isinstance(question, str):
                raise BadRequest('JSON needs "text": the question as a string')
            options = _options(data, ("schedule",))
        else:
            raise BadRequest(
                "send JSON {\"text\": ...} or a multipart form with an 'audio' file", 415
            )
        try:
            return await _speak_json(worker, question, model, options)
        except ValueError as exc:
            raise BadRequest(str(exc).splitlines()[0], 400, "bad_question") from None

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        await _checked_body(request)
        data = await _json(request)
        question = _last_user_text(data.get("messages"))
        options = _options(data, ("temperature", "top_p", "seed", "max_tokens"))
        if "max_tokens" in options:
            options["max_new_tokens"] = options.pop("max_tokens")
        from omni_reasoner.infer.engine import check_question

        try:
            check_question(question)
        except ValueError as exc:
            raise BadRequest(str(exc), 400, "bad_question") from None
        reply = _Completion(model, data.get("model"))
        if data.get("stream"):
            stream_options = data.get("stream_options")
            with_usage = isinstance(stream_options, dict) and stream_options.get("include_usage")
            return StreamingResponse(
                reply.sse(worker.think(question, **options), with_usage=bool(with_usage)),
                media_type="text/event-stream",
            )
        generation = None
        async for kind, value in worker.think(question, **options):
            if kind == "done":
                generation = value
        return reply.whole(generation)

    return app


def warm_up(reasoner, talker) -> None:
    """Load and run every part once before the first client, so no question pays for it:
    the Whisper model and the resampler (speech in), the Thinker, and the Talker."""
    from omni_reasoner.audio.input import load_audio

    tone = 0.3 * np.sin(np.linspace(0, 2000 * np.pi, 48000, dtype=np.float32))
    load_audio(tone, 48000)
    try:
        from omni_reasoner.infer.listening import prepare
    except ImportError:  # no speech-in path in this install: audio questions say so
        log.warning("speech in is not available: audio questions will be refused")
    else:
        prepare(reasoner)
    reasoner.ask("What is one plus one?", max_new_tokens=12)
    talker.synthesize("Ready.")
    if hasattr(talker, "warm"):  # a phrase cache: say the usual openings once now
        from omni_reasoner.infer.phrases import opening_phrases

        log.info("phrase cache: %d opening phrases ready", talker.warm(opening_phrases()))


def _options(data: dict, names: tuple[str, ...]) -> dict:
    """The generation options a request may set, type-checked; the engine checks values."""
    options = {}
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if name == "schedule":
            from omni_reasoner.format.schedule import as_schedule

            if not isinstance(value, str):
                raise BadRequest("schedule must be a string such as interleave:2:8")
            try:
                as_schedule(value)
            except ValueError as exc:
                raise BadRequest(str(exc).splitlines()[0]) from None
        elif name in ("seed", "max_tokens"):
            if not is_count(value):
                raise BadRequest(f"{name} must be a non-negative integer")
            if name == "max_tokens" and not 1 <= value <= 4096:
                raise BadRequest("max_tokens must be between 1 and 4096")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise BadRequest(f"{name} must be a non-negative number")
        options[name] = value
    return options


async def _audio_question(request: Request, config: ServeConfig):
    from omni_reasoner.audio.input import AudioInputError, load_audio

    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=config.max_message_bytes)
    except Exception as exc:  # the multipart parser's own limits and format errors
        raise BadRequest(f"cannot read the form: {str(exc).splitlines()[0]}") from None
    upload = form.get("audio")
    if upload is None or isinstance(upload, str):
        raise BadRequest("the form needs the audio file in the field 'audio'")
    data = await upload.read(config.max_message_bytes + 1)
    if len(data) > config.max_message_bytes:
        raise BadRequest(f"the audio is over {config.max_message_bytes} bytes", 413)
    try:
        return load_audio(data, max_seconds=config.max_audio_s)
    except AudioInputError as exc:
        raise BadRequest(str(exc).splitlines()[0], 400, "bad_audio") from None


async def _speak_json(worker: Worker, question, model: str, options: dict) -> dict:
    """The same fields as `ask --json`, the metrics, and the spoken answer as a wav."""
    run = worker.speak(question, **options)
    chunks = [chunk async for chunk in run]
    speech = run.result
    fields = speech.generation.to_dict() | {"model": model} | speech.metrics()
    samples = [c.samples for c in chunks]
    audio = np.concatenate(samples) if samples else np.zeros(0, np.float32)
    fields["audio_wav_base64"] = base64.b64encode(wav_bytes(audio, speech.sample_rate)).decode()
    return fields


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm16_bytes(samples))
    return buffer.getvalue()


def _last_user_text(messages) -> str:
    """The last user message's text (a string, or the text parts of a content list)."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest('"messages" must be a non-empty list')
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                parts = [
                    p.get("text", "")
                    for p in content
                    if isinstance(p, dict) and p.get("type") == "text"
                ]
                if parts:
                    return " ".join(parts)
            raise BadRequest("the last user message has no text content")
    raise BadRequest('"messages" has no message with role "user"')


def usage(generation) -> dict:
    """OpenAI's token counts; the completion is the whole stream, reasoning and markers too."""
    prompt, completion = generation.prompt_tokens, len(generation.stream)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}  # fmt: skip


def finish_reason(generation) -> str:
    return "stop" if generation.stopped else "length"  # cut by max_tokens, or as a loop


class _Completion:
    """OpenAI chat.completion objects: the spoken stream is the content, the silent
    reasoning goes in `reasoning_content` (the field other reasoning servers use)."""

    def __init__(self, model: str, asked_model):
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = asked_model if isinstance(asked_model, str) and asked_model else model

    def _event(self, **fields) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            **fields,
        }
        return f"data: {json.dumps(body)}\n\n"

    def _chunk(self, delta: dict, finish: str | None = None) -> str:
        return self._event(choices=[{"index": 0, "delta": delta, "finish_reason": finish}])

    async def sse(self, events, with_usage: bool = False):
        yield self._chunk({"role": "assistant", "content": ""})
        generation = None
        try:
            async for kind, value in events:
                if kind == "spoken":
                    yield self._chunk({"content": value})
                elif kind == "reasoning":
                    yield self._chunk({"reasoning_content": value})
                elif kind == "done":
                    generation = value
        except ValueError as exc:  # the stream has started: report in-band, then end
            yield f"data: {json.dumps({'error': {'message': str(exc).splitlines()[0]}})}\n\n"
        yield self._chunk({}, "stop" if generation is None else finish_reason(generation))
        if with_usage and generation is not None:  # OpenAI's last chunk: no choices, the counts
            yield self._event(choices=[], usage=usage(generation))
        yield "data: [DONE]\n\n"

    def whole(self, generation) -> dict:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": generation.spoken_text,
                        "reasoning_content": generation.reasoning_text,
                    },
                    "finish_reason": finish_reason(generation),
                }
            ],
            "usage": usage(generation),
        }


def serve(config: ServeConfig, ssl_keyfile: str | None = None, ssl_certfile: str | None = None):
    """Load the model, then serve until interrupted (the CLI's `serve`)."""
    import uvicorn

    if bool(ssl_keyfile) != bool(ssl_certfile):
        raise ValueError("give both --ssl-keyfile and --ssl-certfile, or neither")
    for path in (ssl_keyfile, ssl_certfile):
        if path and not Path(path).is_file():
            raise ValueError(f"{path}: no such file")
    app = create_app(config)
    scheme = "https" if ssl_certfile else "http"
    if config.host not in LOOPBACK:
        log.warning("listening on %s: reachable from other machines", config.host)
    print(f"omni-reasoner: serving on {scheme}://{config.host}:{config.port}/", flush=True)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        ws_max_size=config.max_message_bytes,
        ssl_keyfile=ssl_keyfile,
        ssl_certfile=ssl_certfile,
        log_level="warning",
    )
