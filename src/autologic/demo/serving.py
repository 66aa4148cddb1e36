"""The demo's server and its background worker, started and stopped together."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from types import FrameType

WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names of "every interface"


def public_url_for(bind: str) -> str:
    """The address patients' links point to when AUTOLOGIC_PUBLIC_URL is unset: the bind
    address, or this machine's host name when it listens on every interface."""
    host, _colon, port = bind.rpartition(":")
    if host in WILDCARD_HOSTS:
        host = socket.getfqdn()
    return f"http://{host}:{port}" if port else f"http://{bind}"


def serve_with_worker(server: list[str], worker: list[str], *, grace: float = 10.0) -> int:
    """Run the server and the worker until either ends or this process is interrupted (Ctrl-C)
    or terminated; then stop both, so no worker outlives its server. Returns the server's exit
    status (0 when interrupted)."""
    started: list[subprocess.Popen[bytes]] = []
    # SIGINT too: a shell may have started this process ignoring it.
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    handlers = {sig: signal.signal(sig, _interrupt) for sig in stops}
    try:
        # Their own session: Ctrl-C reaches this process only, which stops them in order.
        started.append(subprocess.Popen(worker, start_new_session=True))  # noqa: S603
        started.append(subprocess.Popen(server, start_new_session=True))  # noqa: S603
        while all(process.poll() is None for process in started):
            time.sleep(0.2)
        return started[1].returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(started):
            _stop(process, grace)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """Ask a child to stop (SIGTERM), and kill it if it has not within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
