"""Notifiers: the webhook one enqueues a retried RQ job and posts JSON; plugins by path."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from engine.adapters import notify


class FakeQueue:
    def __init__(self):
        self.jobs = []

    def enqueue(self, func, *args, **kwargs):
        self.jobs.append((func, args, kwargs))


class Plugin:
    def __init__(self, runtime):
        self.runtime = runtime

    def notify(self, message):
        pass


def test_webhook_notifier_enqueues_a_retried_delivery(settings):
    queue = FakeQueue()
    runtime = SimpleNamespace(
        settings=replace(
            settings,
            notifiers="log,webhook,tests.services.test_notifications:Plugin",
            webhook_url="http://127.0.0.1:9/hook",
        ),
        queue=lambda: queue,
    )
    notifier = notify.make_notifier(runtime)
    assert [type(n).__name__ for n in notifier.notifiers] == [
        "LogNotifier",
        "WebhookNotifier",
        "Plugin",
    ]
    notifier.notify({"event": "warning", "level": "red", "case_no": "1", "target": "case"})
    ((func, args, kwargs),) = queue.jobs
    assert func == "workers.jobs.deliver_webhook" and args[0] == "http://127.0.0.1:9/hook"
    assert kwargs["retry"].max == len(notify.WEBHOOK_RETRY_INTERVALS)


def test_webhook_without_url_is_refused(settings):
    runtime = SimpleNamespace(
        settings=replace(settings, notifiers="webhook", webhook_url=None), queue=None
    )
    with pytest.raises(ValueError, match="ONETHING_WEBHOOK_URL"):
        notify.make_notifier(runtime)


def test_delivery_posts_json_and_fails_loudly_for_a_retry():
    received, answers = [], [500, 204]

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(answers.pop(0))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    from workers.jobs import deliver_webhook

    try:
        with pytest.raises(OSError):  # urllib: an HTTP error or a refused connection
            deliver_webhook(url, {"level": "red", "case_no": "2026"})
        assert deliver_webhook(url, {"level": "red", "case_no": "2026"}) == 204
    finally:
        server.shutdown()
    assert received == [{"level": "red", "case_no": "2026"}] * 2
