from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click

from crmcore.cli import Context, handle_errors, pass_context
from crmcore.config import REPO_ROOT


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    """Turn SIGTERM into a normal exit so the worker and the embedded Redis are shut down too."""
    raise SystemExit(0)


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--with-scheduler", is_flag=True, help="Also enqueue the periodic jobs (one host at a time).")
    @pass_context
    @handle_errors
    def worker(obj: Context, burst: bool, with_scheduler: bool) -> None:
        """Run an RQ worker for the configured queues."""
        from crmcore.jobs.worker import run_scheduler, run_worker

        stop = threading.Event()
        if with_scheduler:
            threading.Thread(target=run_scheduler, args=(obj.crm, stop), daemon=True).start()
        try:
            run_worker(obj.crm, burst=burst)
        finally:
            stop.set()

    @main.command()
    @pass_context
    @handle_errors
    def scheduler(obj: Context) -> None:
        """Enqueue the plugins' periodic jobs. Safe to start on several hosts: one schedules at a time."""
        from crmcore.jobs.worker import run_scheduler

        run_scheduler(obj.crm)

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @pass_context
    @handle_errors
    def serve(obj: Context, host: str) -> None:
        """Run the web UI and a worker; with no CRM_REDIS_URL an embedded Redis is started in var/."""
        from crmcore.web import create_app

        settings = obj.crm.settings
        embedded = None
        env = dict(os.environ)
        if not settings.redis_url:
            from crmcore.jobs.embedded import EmbeddedRedis

            embedded = EmbeddedRedis(Path(REPO_ROOT) / "var" / "redis.db")
            env["CRM_REDIS_URL"] = embedded.url
            os.environ["CRM_REDIS_URL"] = embedded.url
            obj.crm.settings = settings.with_overrides(redis_url=embedded.url)
        port = int(os.environ.get("PORT", settings.port))
        worker_process = subprocess.Popen([sys.executable, "-m", "crmcore.cli", "worker", "--with-scheduler"],
                                          env=env)
        click.echo(f"crmcore is running at http://{host}:{port}/  (Ctrl+C stops it)")
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            create_app(obj.crm).run(host=host, port=port, threaded=True, use_reloader=False)
        finally:
            worker_process.send_signal(signal.SIGTERM)
            try:
                worker_process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker_process.kill()
            if embedded is not None:
                embedded.shutdown()
