"""The HTTP service: health, the token-protected trigger for external cron, Slack's requests.

Reports run on a small thread pool (`jobs`), so a request is answered at once; at shutdown the
service finishes the reports in progress before it exits.
"""

import hmac
import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
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
from aiops_report.jobs import default_week, run_ledger, run_weekly
from aiops_report.timetable import next_run_time

log = logging.getLogger(__name__)

JOB_THREADS = 2  # reports built at once; more requests wait in the pool's queue


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The service's FastAPI app; /slack/events only when Slack's token and secret are set.

    Raises ConfigError when SCHEDULE is invalid.
    """
    next_run_time(settings, datetime.now(settings.report_zone))  # fail at start, not per request
    jobs = ThreadPoolExecutor(max_workers=JOB_THREADS, thread_name_prefix="aiops-report-job")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(jobs.shutdown, wait=True)

    app = FastAPI(title="aiops-report", lifespan=lifespan, openapi_url=None)

    def require_trigger_token(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = settings.trigger_token
        if expected is None or not expected.get_secret_value():
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "TRIGGER_TOKEN is not set: trigger disabled"
            )
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.get_secret_value().encode()
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "send the header Authorization: Bearer <TRIGGER_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.get("/healthz")
    def healthz(response: Response) -> dict[str, Any]:
        """Database reachable, the latest run and its status, the next scheduled run."""
        body: dict[str, Any] = {
            "status": "ok",
            "database": "reachable",
            "last_run": None,
            "next_run": next_run_time(settings, datetime.now(settings.report_zone)).isoformat(),
        }
        try:
            check_connection(engine)
            runs = run_ledger(engine, settings).history(limit=1)
        except AiopsReportError as exc:
            log.error("health check: %s", exc)
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {**body, "status": "error", "database": "unreachable"}
        if runs:
            run = runs[0]
            body["last_run"] = {
                "id": run.id,
                "week": run.period_start.isoformat(),
                "channel": run.channel,
                "status": run.status,
                "error": run.error,
                "updated_at": run.updated_at.isoformat() + "Z",
            }
        return body

    @app.post(
        "/trigger/weekly",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[Depends(require_trigger_token)],
    )
    def trigger_weekly() -> dict[str, str]:
        """Start run-weekly in the background (delivered weeks are skipped); answer at once."""
        period = default_week(settings)
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


def _run_triggered(engine: Engine, settings: Settings, period: Period, request_id: str) -> None:
    """run_weekly for the HTTP trigger; the outcome goes to the log (and report_runs)."""
    try:
        outcome = run_weekly(engine, settings, period=period)
    except AiopsReportError as exc:  # recorded in report_runs by run_weekly
        log.error("trigger %s: week of %s failed: %s", request_id, period.start, exc)
    except Exception:  # a bug must not pass silently inside the executor
        log.exception("trigger %s: week of %s failed unexpectedly", request_id, period.start)
    else:
        log.info("trigger %s: %s", request_id, outcome.message)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the service with uvicorn until SIGTERM or SIGINT; raises ConfigError."""
    engine = make_engine(settings)
    try:
        uvicorn.run(create_app(settings, engine), host=host, port=port, log_config=None)
    finally:
        engine.dispose()
