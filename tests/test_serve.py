"""`omni-reasoner serve`: the WebSocket protocol, /v1/ask, /v1/chat/completions (SSE),
/healthz, the limits and bad input, on the shipped model with the Piper voice."""

from __future__ import annotations

import base64
import io
import json
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from omni_reasoner.serve import ServeConfig, create_app
from omni_reasoner.serve.session import CLOSE_BUSY, CLOSE_IDLE, CLOSE_POLICY, CLOSE_TOO_BIG
from omni_reasoner.serve.worker import Turns

QUESTION = "Tom has twelve apples and gives five to Sam. How many does he have left?"
QUESTION_WAV = (
    Path(__file__).resolve().parents[1] / "src" / "omni_reasoner" / "assets" / "demo_question.wav"
)
BASE = "http://127.0.0.1"
WS = "ws://127.0.0.1/ws"


@pytest.fixture(scope="module")
def parts():
    from omni_reasoner.api import Reasoner
    from omni_reasoner.model.talker import load_talker

    return Reasoner.load(), load_talker("piper")


def client_for(parts, **settings) -> TestClient:
    config = ServeConfig(warm_up=False, **settings)
    return TestClient(create_app(config, *parts), base_url=BASE)


@pytest.fixture(scope="module")
def client(parts):
    with client_for(parts) as c:
        yield c


def events_until_done(ws, stop=("done",)) -> tuple[list[dict], list[bytes]]:
    """Every event up to (and with) one whose type is in `stop`; binary frames apart."""
    events, frames = [], []
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            raise AssertionError(f"closed: {message}")
        if message.get("bytes") is not None:
            frames.append(message["bytes"])
            continue
        event = json.loads(message["text"])
        events.append(event)
        if event["type"] in stop:
            return events, frames


def next_error(ws) -> dict:
    events, _ = events_until_done(ws, stop=("error",))
    return events[-1]


def ask(ws, text=QUESTION) -> dict:
    ws.send_json({"type": "ask", "text": text})
    events, frames = events_until_done(ws, stop=("done", "error"))
    assert events[-1]["type"] == "done", events[-1]
    return events[-1]


# ---- the protocol -----------------------------------------------------------------------


def test_a_session_streams_text_audio_and_a_final_message(client):
    with client.websocket_connect(WS) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["talker"] == "piper"
        assert hello["sample_rate"] == 22050 and hello["limits"]["max_audio_s"] == 30
        ws.send_json({"type": "ask", "text": QUESTION})
        events, frames = events_until_done(ws)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "done"
    done = events[-1]
    assert done["answer"] == "7" and "seven" in done["spoken_text"]
    spoken = "".join(e["text"] for e in events if e["type"] == "spoken")
    reasoning = "".join(e["text"] for e in events if e["type"] == "reasoning")
    assert spoken.strip() == done["spoken_text"].strip()
    assert reasoning == done["reasoning_text"] and "12-5=7" in reasoning
    audio = [e for e in events if e["type"] == "audio"]
    assert len(audio) == len(frames) >= 2  # every audio event is followed by its samples
    assert [len(f) for f in frames] == [2 * e["samples"] for e in audio]
    assert [e["phrase"] for e in audio] == done["phrases"]
    assert max(np.abs(np.frombuffer(frames[0], "<i2"))) > 1000  # sound, not silence
    assert 0 < done["ttfa_s"] <= done["server_ttfa_s"] < done["speech_total_s"] + 1
    assert done["stalls"] >= 0 and done["audio_s"] > 1


def test_healthz_and_the_page(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["talker"] == "piper"
    assert health["concurrency"] == "interleave" and health["sessions"] == 0
    page = client.get("/")
    assert page.status_code == 200 and "omni-reasoner" in page.text
    for name in ("app.js", "worklet.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../config.py").status_code == 404  # no paths out of static/


def test_v1_ask_json_gives_the_ask_json_fields_and_a_wav(client):
    reply = client.post("/v1/ask", json={"text": QUESTION})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    for field in ("question", "spoken_text", "reasoning_text", "answer", "schedule", "ttfa_s"):
        assert field in body
    assert body["answer"] == "7" and body["stalls"] >= 0
    with wave.open(io.BytesIO(base64.b64decode(body["audio_wav_base64"]))) as wav:
        assert wav.getframerate() == 22050 and wav.getsampwidth() == 2
        assert wav.getnframes() / wav.getframerate() == pytest.approx(body["audio_s"], abs=0.01)


def test_v1_ask_with_an_audio_file_answers_the_spoken_question(client):
    with QUESTION_WAV.open("rb") as f:
        reply = client.post("/v1/ask", files={"audio": ("q.wav", f, "audio/wav")})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "pencils" in body["transcript"].lower() and body["pipeline"] == "cascade"
    assert body["answer"] == "24" and body["audio_encode_s"] > 0


def test_chat_completions_whole_and_streamed_agree(client):
    request = {"model": "omni", "messages": [{"role": "user", "content": "What is 48 times 7?"}]}
    whole = client.post("/v1/chat/completions", json=request).json()
    message = whole["choices"][0]["message"]
    assert whole["object"] == "chat.completion" and "336" in message["content"]
    assert "48*7=336" in message["reasoning_content"]
    with client.stream("POST", "/v1/chat/completions", json=request | {"stream": True}) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in reply.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0]["role"] == "assistant"
    assert "".join(d.get("content", "") for d in deltas) == message["content"]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == message["reasoning_content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    # usage: the question's tokens and the whole stream's, in both forms
    counts = whole["usage"]
    assert counts["prompt_tokens"] > 5 and counts["completion_tokens"] > len(
        message["content"].split()
    )
    assert counts["total_tokens"] == counts["prompt_tokens"] + counts["completion_tokens"]
    asked = request | {"stream": True, "stream_options": {"include_usage": True}}
    with client.stream("POST", "/v1/chat/completions", json=asked) as reply:
        last = json.loads([line for line in reply.iter_lines() if line][-2][6:])
    assert last["choices"] == [] and last["usage"] == counts


def test_chat_completions_cut_at_max_tokens_say_length(client):
    request = {"messages": [{"role": "user", "content": "What is 48 times 7?"}], "max_tokens": 6}
    whole = client.post("/v1/chat/completions", json=request).json()
    assert whole["choices"][0]["finish_reason"] == "length"
    assert whole["usage"]["completion_tokens"] == 6


# ---- bad input: an error event each, and the session goes on -------------------------------


def test_bad_messages_get_error_events_and_the_session_still_answers(client):
    rng = np.random.default_rng(0)
    with client.websocket_connect(WS) as ws:
        ws.receive_json()  # hello
        ws.send_text("not json")
        assert next_error(ws)["code"] == "bad_message"
        ws.send_json({"type": "sing"})
        assert "unknown message type" in next_error(ws)["message"]
        ws.send_json({"type": "ask"})
        assert next_error(ws)["code"] == "bad_message"
        ws.send_json({"type": "ask", "text": "<think> hi"})
        assert "reserved token" in next_error(ws)["message"]
        ws.send_bytes(b"\x00\x01" * 100)  # audio without audio_start
        assert next_error(ws)["code"] == "unexpected_audio"
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": 1000})
        assert "1000 Hz" in next_error(ws)["message"]  # a sample rate no microphone has
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": "fast"})
        assert next_error(ws)["code"] == "bad_audio"
        # garbage bytes as a file
        ws.send_json({"type": "audio_start", "format": "file"})
        ws.send_bytes(rng.bytes(5000))
        ws.send_json({"type": "audio_end"})
        assert "not audio" in next_error(ws)["message"]
        # an odd number of PCM16 bytes
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": 16000})
        ws.send_bytes(b"\x01\x02\x03")
        ws.send_json({"type": "audio_end"})
        assert "odd number of bytes" in next_error(ws)["message"]
        # text where audio is expected
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": 16000})
        ws.send_json({"type": "ask", "text": QUESTION})
        assert next_error(ws)["code"] == "expected_audio"
        ws.send_json({"type": "audio_end"})  # nothing was sent: empty
        assert "empty" in next_error(ws)["message"]
        # silence
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": 16000})
        ws.send_bytes(np.zeros(16000, "<i2").tobytes())
        ws.send_json({"type": "audio_end"})
        assert "silent" in next_error(ws)["message"]
        ws.send_json({"type": "audio_end"})
        assert "without audio_start" in next_error(ws)["message"]
        assert ask(ws)["answer"] == "7"


def test_audio_over_the_duration_limit_is_refused(parts):
    with client_for(parts, max_audio_s=1.0) as c, c.websocket_connect(WS) as ws:
        ws.receive_json()
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": 8000})
        for _ in range(3):
            ws.send_bytes(np.zeros(4000, "<i2").tobytes())  # 0.5 s each
        error = next_error(ws)
        assert error["code"] == "audio_too_long" and "limit is 1 s" in error["message"]
        ws.send_json({"type": "audio_end"})  # the rest was dropped: no answer, no second error
        assert ask(ws)["answer"] == "7"


def test_spoken_question_over_the_websocket_at_48_khz(client):
    import soundfile
    from scipy.signal import resample_poly

    samples, rate = soundfile.read(QUESTION_WAV, dtype="float32")
    pcm = (resample_poly(samples, 3, 1) * 32767).astype("<i2").tobytes()  # a 48 kHz browser
    with client.websocket_connect(WS) as ws:
        ws.receive_json()
        ws.send_json({"type": "audio_start", "format": "pcm16", "sample_rate": 48000})
        for start in range(0, len(pcm), 9600):  # 100 ms frames
            ws.send_bytes(pcm[start : start + 9600])
        ws.send_json({"type": "audio_end"})
        events, frames = events_until_done(ws)
    transcript = [e for e in events if e["type"] == "transcript"]
    assert transcript and "pencils" in transcript[0]["text"].lower()
    assert events[-1]["answer"] == "24" and frames


# ---- limits and security ----------------------------------------------------------------


def test_a_message_over_the_size_limit_closes_with_1009(parts):
    with client_for(parts, max_message_bytes=1000) as c, c.websocket_connect(WS) as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00" * 1001)
        message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] == CLOSE_TOO_BIG


def test_sessions_over_the_limit_are_closed_with_1013(parts):
    with client_for(parts, max_sessions=1) as c, c.websocket_connect(WS) as first:
        first.receive_json()
        with c.websocket_connect(WS) as second:
            assert second.receive_json()["code"] == "busy"
            message = second.receive()
            assert message["type"] == "websocket.close" and message["code"] == CLOSE_BUSY
        assert ask(first)["answer"] == "7"


def test_idle_sessions_are_closed_with_4000(parts):
    with client_for(parts, idle_s=0.3) as c, c.websocket_connect(WS) as ws:
        ws.receive_json()
        message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] == CLOSE_IDLE


def test_other_origins_and_hosts_are_refused(parts):
    with client_for(parts, allowed_origins=["https://friend.example"]) as c:
        evil = {"origin": "https://evil.example"}
        with pytest.raises(WebSocketDisconnect) as refused, c.websocket_connect(WS, headers=evil):
            pass
        assert refused.value.code == CLOSE_POLICY
        for origin in ("http://127.0.0.1", "https://friend.example"):
            with c.websocket_connect(WS, headers={"origin": origin}) as ws:
                assert ws.receive_json()["type"] == "hello"
        post = c.post(
            "/v1/ask", json={"text": QUESTION}, headers={"origin": "https://evil.example"}
        )
        assert post.status_code == 403
        # bound to loopback, the server answers only requests addressed to localhost
        assert c.get("/healthz", headers={"host": "evil.example"}).status_code == 400


def test_http_bad_input_gets_one_clear_error(client):
    cases = [
        (dict(json={"question": QUESTION}), 400, '"text"'),
        (dict(content=b"{not json", headers={"content-type": "application/json"}), 400, "JSON"),
        (dict(content=b"hello", headers={"content-type": "text/plain"}), 415, "multipart"),
        (dict(json={"text": "   "}), 400, "empty"),
        (dict(json={"text": QUESTION, "schedule": "sideways"}), 400, "schedule"),
        (
            dict(files={"audio": ("q.wav", b"this is text, not audio", "audio/wav")}),
            400,
            "not audio",
        ),
        (dict(files={"other": ("q.wav", b"RIFF", "audio/wav")}), 400, "'audio'"),
        (dict(json={"text": "x" * 3_000_000}), 413, "limit"),
    ]
    for request, status, words in cases:
        reply = client.post("/v1/ask", **request)
        assert reply.status_code == status, (request, reply.text)
        message = reply.json()["error"]["message"]
        assert words in message and "\n" not in message
    chat = client.post("/v1/chat/completions", json={"messages": []})
    assert chat.status_code == 400 and "messages" in chat.json()["error"]["message"]
    chat = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]}
    )
    assert chat.status_code == 400 and "user" in chat.json()["error"]["message"]


# ---- concurrency: leaving mid-answer, cancelling, taking turns ------------------------------


def test_a_client_leaving_mid_answer_does_not_stop_another(client):
    with client.websocket_connect(WS) as staying:
        staying.receive_json()
        with client.websocket_connect(WS) as leaving:
            leaving.receive_json()
            leaving.send_json({"type": "ask", "text": "What is 48 times 7?"})
            staying.send_json({"type": "ask", "text": QUESTION})
            events_until_done(leaving, stop=("spoken",))  # it has started answering, then leaves
        events, frames = events_until_done(staying)
        assert events[-1]["answer"] == "7" and frames
        assert ask(staying, "What is 48 times 7?")["answer"] == "336"  # the decoder is free
    deadline = time.monotonic() + 10
    while client.get("/healthz").json()["sessions"] and time.monotonic() < deadline:
        time.sleep(0.05)
    health = client.get("/healthz").json()
    assert health["sessions"] == 0 and health["answers_waiting"] == 0


def test_cancel_stops_an_answer_and_the_session_goes_on(client):
    with client.websocket_connect(WS) as ws:
        ws.receive_json()
        ws.send_json({"type": "ask", "text": "What is 48 times 7?"})
        events_until_done(ws, stop=("started",))
        ws.send_json({"type": "ask", "text": QUESTION})  # one answer at a time
        assert next_error(ws)["code"] == "busy"
        ws.send_json({"type": "cancel"})
        events, _ = events_until_done(ws, stop=("cancelled",))
        assert not any(e["type"] == "done" for e in events)
        assert ask(ws)["answer"] == "7"


def test_turns_are_first_in_first_out_and_passed_round_robin():
    import threading

    turns, order = Turns(), []
    turns.acquire()

    def worker(name):
        turns.acquire()
        for _ in range(2):
            order.append(name)
            turns.pass_turn()
        turns.release()

    threads = []
    for name in "ab":
        threads.append(threading.Thread(target=worker, args=(name,)))
        threads[-1].start()
        while turns.waiting < len(threads):
            time.sleep(0.001)
    turns.release()
    for thread in threads:
        thread.join(5)
    assert order == ["a", "b", "a", "b"]


def test_bad_settings_fail_in_one_line():
    from omni_reasoner.cli import main

    assert main(["serve", "--concurrency", "queue", "--max-sessions", "0"]) == 2
    with pytest.raises(ValueError, match="concurrency"):
        ServeConfig(concurrency="batch").validate()


def test_warm_up_teaches_the_phrase_cache_the_usual_openings(parts):
    from omni_reasoner.model.talker import load_talker
    from omni_reasoner.serve.app import warm_up

    talker = load_talker("espeak")
    warm_up(parts[0], talker)
    assert talker.size >= 30
    before = talker.hits
    talker.synthesize("So,")  # an answer's usual first phrase: no synthesis left to wait for
    assert talker.hits == before + 1
