"""The HTTP service: health, the token-protected trigger for external cron, Slack's requests.

Reports run on a small thread pool (`jobs`), so a request is answered at once; at shutdown the
service finishes the reports in progress before it exits.
"""

import hmac
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response, status
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from aiops_report.data.config import Settings
from aiops_report.data.db import check_connection, make_engine
from aiops_report.data.periods import Period
from aiops_report.errors import AiopsReportError
from aiops_report.faces.slack_commands import request_handler
from aiops_report.jobs import (
    default_week,
    in_background,
    restate_quietly,
    run_ledger,
    run_weekly,
    week_deliveries,
)
from aiops_report.timetable import next_run_time

log = logging.getLogger(__name__)

JOB_THREADS = 2  # reports built at once; more requests wait in the pool's queue
# Slack's requests and the trigger's are a few KB: a larger body is refused (413) as it arrives,
# by its Content-Length before any byte is read, or once a streamed body passes the limit.
MAX_BODY_BYTES = 256 * 1024
# A health check answers within this many seconds whatever the database does: a server that
# never answers makes it 503, not a probe that hangs (DB_CONNECT_TIMEOUT may be longer).
HEALTH_TIMEOUT = 5.0


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The service's FastAPI app; /slack/events only when Slack's token and secret are set.

    Raises ConfigError when SCHEDULE is invalid.
    """
    next_run_time(settings, datetime.now(settings.report_zone))  # fail at start, not per request
    jobs = ThreadPoolExecutor(max_workers=JOB_THREADS, thread_name_prefix="aiops-report-job")
    checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiops-report-health")
    in_flight: list[Future[list[Any]]] = []
    in_flight_lock = threading.Lock()

    def latest_runs() -> list[Any]:
        """The latest run, read on the health thread, waited for at most HEALTH_TIMEOUT;
        a check still waiting for the database is joined, never started a second time."""
        with in_flight_lock:
            if not in_flight or in_flight[0].done():
                in_flight[:] = [checks.submit(_latest_run, engine, settings)]
            check = in_flight[0]
        return check.result(timeout=HEALTH_TIMEOUT)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        checks.shutdown(wait=False, cancel_futures=True)
        await run_in_threadpool(jobs.shutdown, wait=True)

    app = FastAPI(
        title="aiops-report", lifespan=lifespan, openapi_url=None, max_body_size=MAX_BODY_BYTES
    )

    def has_trigger_token(authorization: str | None) -> bool:
        expected = settings.trigger_token
        if expected is None or not expected.get_secret_value():
            return False
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), expected.get_secret_value().encode()
        )

    def require_trigger_token(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = settings.trigger_token
        if expected is None or not expected.get_secret_value():
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "TRIGGER_TOKEN is not set: trigger disabled"
            )
        if not has_trigger_token(authorization):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "send the header Authorization: Bearer <TRIGGER_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.get("/healthz")
    def healthz(
        response: Response, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        """Database reachable, the latest run's status and times, the next scheduled run; with
        the trigger token, also the run's id, channel and error (which may name paths)."""
        body: dict[str, Any] = {
            "status": "ok",
            "database": "reachable",
            "last_run": None,
            "next_run": next_run_time(settings, datetime.now(settings.report_zone)).isoformat(),
        }
        try:
            runs = latest_runs()
        except AiopsReportError as exc:
            log.error("health check: %s", exc)
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {**body, "status": "error", "database": "unreachable"}
        except FutureTimeout:
            log.error("health check: the database did not answer in %g s", HEALTH_TIMEOUT)
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {**body, "status": "error", "database": "not answering"}
        if runs:
            run = runs[0]
            body["last_run"] = {
                "week": run.period_start.isoformat(),
                "status": run.status,
                "updated_at": run.updated_at.isoformat() + "Z",
            }
            if has_trigger_token(authorization):
                body["last_run"].update(id=run.id, channel=run.channel, error=run.error)
        return body

    @app.post(
        "/trigger/weekly",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[Depends(require_trigger_token)],
    )
    def trigger_weekly(response: Response) -> dict[str, Any]:
        """Start run-weekly in the background and answer at once (202); a week delivered
        already to every destination is said so (200, `already_delivered`) and not started,
        but the delivered weeks are still checked for late rows in the background (as every
        run-weekly does: restate.py)."""
        period = default_week(settings)
        try:
            every = week_deliveries(engine, settings, period)
        except AiopsReportError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
        delivered = [run for _, run in every if run is not None and run.status == "delivered"]
        if len(delivered) == len(every):
            jobs.submit(_restate_triggered, engine, settings)
            response.status_code = status.HTTP_200_OK
            return {
                "status": "already_delivered",
                "week": period.start.isoformat(),
                "destinations": [destination.shown for destination, _ in every],
                "delivered_at": max(run.updated_at for run in delivered).isoformat() + "Z",
            }
        request_id = uuid.uuid4().hex
        jobs.submit(_run_triggered, engine, settings, period, request_id)
        return {
            "status": "accepted",
            "request_id": request_id,
            "week": period.start.isoformat(),
            "channel": settings.slack_channel,
        }

    if settings.slack_bot_token is not None and settings.slack_signing_secret is not None:
        handler = request_handler(settings, engine, jobs)

        @app.post("/slack/events")
        async def slack_events(request: Request) -> Response:
            """Slash commands and button clicks from Slack (signature checked by slack_bolt)."""
            return await handler.handle(request)

    return app


def _latest_run(engine: Engine, settings: Settings) -> list[Any]:
    check_connection(engine)
    return run_ledger(engine, settings).history(limit=1)


def _run_triggered(engine: Engine, settings: Settings, period: Period, request_id: str) -> None:
    """run_weekly for the HTTP trigger; the outcome goes to the log (and report_runs)."""
    in_background(
        f"trigger {request_id}: week of {period.start}",
        lambda: run_weekly(engine, settings, period=period),
    )


def _restate_triggered(engine: Engine, settings: Settings) -> None:
    """The check of delivered weeks for the HTTP trigger; what it did goes to the log."""
    in_background("the check of delivered weeks", lambda: restate_quietly(engine, settings).posted)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the service with uvicorn until SIGTERM or SIGINT; raises ConfigError."""
    engine = make_engine(settings)
    try:
        uvicorn.run(create_app(settings, engine), host=host, port=port, log_config=None)
    finally:
        engine.dispose()
