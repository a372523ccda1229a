"""The Procfile's `web` process starts, migrates, serves and stops cleanly (without Telegram configured)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_web_process_serves_health_and_stops_on_sigint(tmp_path: Path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'web.db'}",
        "DATA_DIR": str(tmp_path),
        "WEB_PORT": str(port),
    }
    cli = Path(sys.executable).parent / "kampung-bahagia"
    process = subprocess.Popen([str(cli), "web"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "web process did not start"
                assert process.poll() is None, "web process exited early"
                time.sleep(0.2)
        assert response.json() == {"ok": True}
        assert (tmp_path / "web.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Berhenti." in output
