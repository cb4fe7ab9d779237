import json
import random
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from omni_reasoner.data.llm_rewriter import SYSTEM_PROMPT, LLMRewriter, RewriteError
from omni_reasoner.data.problem import Problem, Step

PROBLEM = Problem(
    question="Natalia sold clips to 48 friends in April and half as many in May. How many in all?",
    answer="72",
    steps=[Step("48/2", "24"), Step("48+24", "72")],
    category="multi_step",
    source="gsm8k",
    source_split="train",
    source_id="0",
    answer_unit="clips",
)

GOOD = {
    "question_spoken": "Natalia sold clips to forty-eight friends in April and half as many "
    "in May. How many in all?",
    "reasoning": "48/2 = 24\n48+24 = 72",
    "response": "After doing the math, I think she sold seventy-two clips. The answer is 72.",
}


def chat_reply(content: str) -> tuple[int, bytes]:
    envelope = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    return 200, json.dumps(envelope).encode()


def good_with(**changes) -> tuple[int, bytes]:
    return chat_reply(json.dumps(GOOD | changes))


@contextmanager
def fake_endpoint(replies: list[tuple[int, bytes]], delay_s: float = 0.0):
    """An OpenAI-style server that answers with `replies` in turn and records requests."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
            )
            time.sleep(delay_s)
            status, payload = replies[min(len(received), len(replies)) - 1]
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (the timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()
        server.server_close()


def test_good_reply_and_the_request_sent():
    with fake_endpoint([good_with()]) as (url, received):
        rewriter = LLMRewriter(url + "/", "qwen-test", api_key="sk-test", max_retries=0)
        out = rewriter.rewrite(PROBLEM, "free", random.Random(0))
    assert out.question_spoken == GOOD["question_spoken"]
    assert out.reasoning == GOOD["reasoning"]
    assert out.response == GOOD["response"]
    [request] = received
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "qwen-test"
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == SYSTEM_PROMPT
    user = body["messages"][1]["content"]
    assert PROBLEM.question in user and "48/2 = 24" in user and "Answer: 72" in user


def test_same_rng_sends_the_same_seed():
    with fake_endpoint([good_with()]) as (url, received):
        rewriter = LLMRewriter(url, "m")
        rewriter.rewrite(PROBLEM, "free", random.Random(4))
        rewriter.rewrite(PROBLEM, "free", random.Random(4))
    assert received[0]["body"]["seed"] == received[1]["body"]["seed"]
    assert "Authorization" not in received[0]["headers"]


def test_bad_json_then_good_reply_is_retried():
    with fake_endpoint([chat_reply("{not json"), good_with()]) as (url, received):
        out = LLMRewriter(url, "m", max_retries=1).rewrite(PROBLEM, "free", random.Random(0))
    assert len(received) == 2
    assert out.response.endswith("The answer is 72.")


def test_final_sentence_is_normalised_to_the_canonical_answer():
    reply = good_with(response="Okay, so seventy-two clips. The answer is 72.0")
    with fake_endpoint([reply]) as (url, _):
        out = LLMRewriter(url, "m").rewrite(PROBLEM, "free", random.Random(0))
    assert out.response == "Okay, so seventy-two clips. The answer is 72."


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"response": "I think seventy. The answer is 70."}, "does not end with"),
        (
            {"response": "Half is twenty-four, so seventy-two. The answer is 72."},
            "other numbers: 24",
        ),
        ({"question_spoken": "Natalia sold 48 clips."}, "question_spoken contains digits"),
        ({"reasoning": "48/2 = 24"}, "reasoning does not contain the answer"),
        ({"response": ""}, "'response' is missing or empty"),
    ],
)
def test_invalid_replies_fail_after_the_retries(changes, reason):
    with (
        fake_endpoint([good_with(**changes)]) as (url, received),
        pytest.raises(RewriteError, match=reason) as err,
    ):
        LLMRewriter(url, "m", max_retries=2).rewrite(PROBLEM, "free", random.Random(0))
    assert len(received) == 3
    assert "\n" not in str(err.value) and f"{url}/chat/completions" in str(err.value)


def test_rule_based_trace_for_other_styles():
    from omni_reasoner.data.traces import render_trace

    # the LLM's reasoning is not used, so it need not even contain the answer
    with fake_endpoint([good_with(reasoning="no numbers here")]) as (url, _):
        out = LLMRewriter(url, "m").rewrite(PROBLEM, "calculator", random.Random(0))
    assert out.reasoning == render_trace(PROBLEM.steps, "calculator").strip()
    assert out.response == GOOD["response"]
    # a trace the renderer cannot draw fails before any request is made
    negative = Problem(**{**PROBLEM.__dict__, "steps": [Step("3-5", "-2")], "answer": "-2"})
    with fake_endpoint([good_with()]) as (url, received), pytest.raises(ValueError):
        LLMRewriter(url, "m").rewrite(negative, "scratchpad", random.Random(0))
    assert received == []


def test_http_error_is_a_rewrite_error():
    with (
        fake_endpoint([(500, b'{"error": "boom"}')]) as (url, received),
        pytest.raises(RewriteError, match="HTTP 500") as err,
    ):
        LLMRewriter(url, "m").rewrite(PROBLEM, "free", random.Random(0))
    assert len(received) == 1
    assert url in str(err.value)


def test_connection_refused_and_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(RewriteError, match=f"{url}/chat/completions: cannot connect"):
        LLMRewriter(url, "m").rewrite(PROBLEM, "free", random.Random(0))
    with (
        fake_endpoint([good_with()], delay_s=1.0) as (url, _),
        pytest.raises(RewriteError, match="timed out"),
    ):
        LLMRewriter(url, "m", timeout_s=0.2).rewrite(PROBLEM, "free", random.Random(0))


def test_reply_without_choices_is_a_rewrite_error():
    with (
        fake_endpoint([(200, b'{"object": "error"}')]) as (url, _),
        pytest.raises(RewriteError, match=r"no choices\[0\]"),
    ):
        LLMRewriter(url, "m").rewrite(PROBLEM, "free", random.Random(0))
