"""Notifications (yellow/red cards) to departments, through pluggable notifiers.

A notifier has one method, `notify(message: dict)`, called after the change
is committed. Out of the box:

- `log`: writes one log line per message (logger `onething.notify`);
- `webhook`: POSTs the message as JSON to `ONETHING_WEBHOOK_URL`, from an RQ
  job with retries, never on the request path.

Others are plugins named by a dotted path in `ONETHING_NOTIFIERS`
(comma-separated, e.g. `log,webhook,mycity.sms:SmsNotifier`); the named object
is called with the runtime and returns the notifier.
"""

from __future__ import annotations

import importlib
import json
import logging
import urllib.request

from rq import Retry

log = logging.getLogger("onething.notify")
WEBHOOK_RETRY_INTERVALS = [5, 30, 120, 600, 1800]


class LogNotifier:
    def notify(self, message: dict) -> None:
        log.info(
            "%s %s card: case %s%s -> %s",
            message.get("target"),
            message.get("level"),
            message.get("case_no"),
            f" task {message['task']['task']}" if message.get("task") else "",
            ", ".join(message.get("recipients") or message.get("departments") or []),
        )


class WebhookNotifier:
    """Delivery is an RQ job (`workers.jobs.deliver_webhook`) retried with back-off."""

    def __init__(self, url: str, queue_factory):
        self.url = url
        self._queue = queue_factory

    def notify(self, message: dict) -> None:
        self._queue().enqueue(
            "workers.jobs.deliver_webhook",
            self.url,
            message,
            retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
        )


class Fanout:
    """Every configured notifier; one failing does not keep the others from hearing."""

    def __init__(self, notifiers: list):
        self.notifiers = notifiers

    def notify(self, message: dict) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(message)
            except Exception:  # noqa: BLE001 - the change is committed; report, go on
                log.exception("notifier %s failed", type(notifier).__name__)


def post_json(url: str, message: dict, timeout: float = 10.0) -> int:
    """One webhook delivery; raises on a network error or a non-2xx answer (RQ retries)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(message, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


def make_notifier(runtime) -> Fanout:
    settings = runtime.settings
    notifiers = []
    for name in (n.strip() for n in settings.notifiers.split(",")):
        if not name:
            continue
        if name == "log":
            notifiers.append(LogNotifier())
        elif name == "webhook":
            if not settings.webhook_url:
                raise ValueError("the webhook notifier needs ONETHING_WEBHOOK_URL")
            notifiers.append(WebhookNotifier(settings.webhook_url, runtime.queue))
        else:
            notifiers.append(_plugin(name)(runtime))
    return Fanout(notifiers)


def _plugin(path: str):
    module, _, attr = path.replace(":", ".").rpartition(".")
    if not module:
        raise ValueError(f"notifier {path!r}: expected log, webhook or a dotted path")
    return getattr(importlib.import_module(module), attr)
