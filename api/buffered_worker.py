"""A gunicorn worker that hands the app only whole requests: waitress inside gunicorn.

gunicorn's gthread worker gives each connection a thread that then reads the
request itself, so a client that sends headers and part of a body and
stops holds that thread until it gives up: ten such clients, on a
publishable key anyone can read from a shop's page, froze a two-worker
server. waitress reads every request (headers and body) on one
asynchronous loop, buffering the body (to a temporary file past
``INBUF_OVERFLOW``), and queues it for a thread only once it is complete;
it also buffers responses, so a slow reader holds no thread either.
Connections idle for ``CHANNEL_TIMEOUT_S`` are closed. gunicorn keeps what
it does well: the master, forking workers, restarting dead ones, graceful
stops. (Why not gevent or eventlet: they monkey-patch threads and sockets,
and the render thread, EGL and torch are not theirs to patch.)

Requests waitress refuses before the app sees them (not HTTP, headers over
its limit, a body over the largest any route accepts) are answered as problem+json
too (``ProblemErrorTask``), like every other error of the API.
"""

from __future__ import annotations

import json
import os
import time

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from api import largest_request_body
from api.errors import PROBLEM_MIMETYPE, problem_body

#: Seconds a connection may send nothing (mid-request or between requests) before it is closed.
CHANNEL_TIMEOUT_S = 30
#: Connections one worker process holds at once; more wait in the listen backlog.
CONNECTION_LIMIT = 500
#: Bytes of a request body kept in memory; beyond, the body goes to a temporary file.
INBUF_OVERFLOW = 1024 * 1024
#: Bytes waitress reads beyond the app's largest body limit (``api.largest_request_body``):
#: the multipart framing around a file at its limit. Larger bodies get its 413
#: (``ProblemErrorTask``); smaller ones reach the app, which applies each route's limit.
BODY_SLACK = 1024 * 1024
#: Seconds of each loop turn: the heartbeat to gunicorn's master goes at least this often.
LOOP_TIMEOUT_S = 1.0


class BufferedWorker(Worker):
    """Serves ``self.wsgi`` on the sockets gunicorn opened, with ``threads`` app
    threads per process (gunicorn's ``--threads``)."""

    def run(self) -> None:
        connections: dict = {}  # waitress's loop map: listeners, client channels, its trigger
        server = create_server(
            self.wsgi, map=connections, sockets=[listener.sock for listener in self.sockets],
            threads=self.cfg.threads, channel_timeout=CHANNEL_TIMEOUT_S,
            cleanup_interval=max(1, CHANNEL_TIMEOUT_S // 3), connection_limit=CONNECTION_LIMIT,
            inbuf_overflow=INBUF_OVERFLOW,
            max_request_body_size=largest_request_body(self.wsgi) + BODY_SLACK,
            # the app decides which proxies to trust (api.trust_proxies): pass their headers on
            clear_untrusted_proxy_headers=False, asyncore_use_poll=True, ident="tryon")
        for dispatcher in connections.values():
            if isinstance(dispatcher, BaseWSGIServer):  # each listener makes our channels
                dispatcher.channel_class = ProblemChannel
        while self.alive:
            self.notify()
            wasyncore.loop(timeout=LOOP_TIMEOUT_S, map=connections, use_poll=True, count=1)
            if self.ppid != os.getppid():  # the master died: do not serve as an orphan
                break
        self._stop(server, connections)

    def _stop(self, server, connections: dict) -> None:
        """Stop accepting, finish the requests already in, within gunicorn's graceful timeout."""
        for dispatcher in list(connections.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                dispatcher.del_channel()  # the listening socket stays gunicorn's to close
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while _busy(connections) and time.monotonic() < deadline:
            self.notify()
            wasyncore.loop(timeout=0.2, map=connections, use_poll=True, count=1)
        server.task_dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(connections)


class ProblemErrorTask(ErrorTask):
    """waitress's own refusal of a request, as an RFC 9457 problem document."""

    def execute(self) -> None:
        error = self.request.error
        body = json.dumps(problem_body(error.code, error.reason, _refusal(error, self.channel.adj)))
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", PROBLEM_MIMETYPE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body.encode())


class ProblemChannel(HTTPChannel):
    """waitress's connection, answering its refusals with ``ProblemErrorTask``."""

    error_task_class = ProblemErrorTask


def _refusal(error, adjustments) -> str:
    """What a client must change, for each refusal of waitress's."""
    if isinstance(error, RequestEntityTooLarge):
        return (f"the request body is larger than {adjustments.max_request_body_size:,} bytes, "
                "the most this server reads; each upload route documents its own limit")
    if isinstance(error, RequestHeaderFieldsTooLarge):
        return (f"the request's headers are larger than {adjustments.max_request_header_size:,} "
                "bytes, the most this server reads")
    if error.code == 400:
        return f"the request is not valid HTTP/1.1: {error.body}"
    return "the server could not answer this request; it has been logged"


def _busy(connections: dict) -> bool:
    """Whether a client is mid-request or mid-response (idle keep-alive connections,
    the listeners and the loop's trigger do not count)."""
    return any(getattr(d, "requests", None) or getattr(d, "request", None) is not None
               or getattr(d, "total_outbufs_len", 0) for d in connections.values())
