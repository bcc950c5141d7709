"""Chapter 15, the FastAPI version: work after the response, and work that must not be lost.

- `POST /send-notification/{email}`: FastAPI's `BackgroundTasks`, as the tutorial has it: the
  line is written after the answer, and lost if the process stops first.
- `POST /emails/`: a job stored in the database before the answer, delivered by worker threads
  beside the server (`jobs.py`), retried with backoff, never lost.
- `GET /slow-async` and `GET /slow-blocking`: waiting without and with blocking; a timeout
  around every request.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/15-background-tasks/fastapi

Settings, read once at start: DATABASE_URL (default `sqlite://ch15.db`), NOTIFICATION_LOG
(`log.txt`), SMTP_URL (`smtp://host:port`; without it, emails are files in OUTBOX_DIR,
`outbox`), MAIL_FROM, SMTP_TIMEOUT_SECS (10), JOB_MAX_ATTEMPTS (5), JOB_RETRY_BASE_MS (1000),
JOB_RETRY_MAX_MS (300000), JOB_LEASE_SECS (60), WORKER_CONCURRENCY (4; 0 for none),
WORKER_POLL_MS (1000), REQUEST_TIMEOUT_SECS (30), SHUTDOWN_TIMEOUT_SECS (30).
"""

import asyncio
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from jobs import Base, Job, JobState, Queue, WorkerSettings, Workers, now_ms


# ANCHOR: settings
def setting(name: str, default: int, low: int, high: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name}: must be an integer from {low} to {high} (got {value!r})")
    if not low <= number <= high:
        raise SystemExit(f"{name}: must be from {low} to {high} (got {number})")
    return number


def smtp_url() -> str | None:
    url = os.environ.get("SMTP_URL") or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname or parts.username:
            raise SystemExit(
                "SMTP_URL: must be smtp://host[:port], without a password (got another form)"
            )
    return url


def sqlalchemy_url(url: str) -> URL:
    """The workbook's DATABASE_URL (sqlx's form) as SQLAlchemy names the same database."""
    if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
        return make_url("sqlite:///" + url.removeprefix("sqlite://").partition("?")[0])
    parsed = make_url(url)
    match parsed.drivername:
        case "postgres" | "postgresql":
            return parsed.set(drivername="postgresql+psycopg")
        case "mysql" | "mariadb":
            return parsed.set(drivername="mysql+pymysql").update_query_dict({"charset": "utf8mb4"})
        case _:
            return parsed


DATABASE_URL = sqlalchemy_url(os.environ.get("DATABASE_URL", "sqlite://ch15.db"))
NOTIFICATION_LOG = Path(os.environ.get("NOTIFICATION_LOG", "log.txt"))
REQUEST_TIMEOUT_SECS = setting("REQUEST_TIMEOUT_SECS", 30, 1, 3600)
WORKER_SETTINGS = WorkerSettings(
    smtp_url=smtp_url(),
    outbox_dir=Path(os.environ.get("OUTBOX_DIR", "outbox")),
    mail_from=os.environ.get("MAIL_FROM", "noreply@example.com"),
    smtp_timeout=setting("SMTP_TIMEOUT_SECS", 10, 1, 3600),
    max_attempts=setting("JOB_MAX_ATTEMPTS", 5, 1, 100),
    retry_base_ms=setting("JOB_RETRY_BASE_MS", 1000, 1, 86_400_000),
    retry_max_ms=setting("JOB_RETRY_MAX_MS", 300_000, 1, 86_400_000),
    lease_ms=setting("JOB_LEASE_SECS", 60, 1, 86_400) * 1000,
    concurrency=setting("WORKER_CONCURRENCY", 4, 0, 256),
    poll_seconds=setting("WORKER_POLL_MS", 1000, 10, 3_600_000) / 1000,
    shutdown_timeout=setting("SHUTDOWN_TIMEOUT_SECS", 30, 0, 3600),
)
# ANCHOR_END: settings


# ANCHOR: database
def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    return create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})


engine = make_engine(DATABASE_URL)
SessionLocal = sessionmaker(engine, expire_on_commit=False)
queue = Queue(SessionLocal, WORKER_SETTINGS)
workers = Workers(queue)


def get_db() -> Iterator[Session]:
    with SessionLocal() as db:
        yield db


DbSession = Annotated[Session, Depends(get_db)]


@asynccontextmanager
async def lifespan(_app: FastAPI):
    Base.metadata.create_all(engine)
    workers.start()
    yield
    # uvicorn has let the requests in flight finish; now the deliveries in flight.
    await asyncio.to_thread(workers.stop)
    engine.dispose()
# ANCHOR_END: database


tags_metadata = [
    {
        "name": "notifications",
        "description": "Work done after the answer, with FastAPI's BackgroundTasks.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/background-tasks/"},
    },
    {"name": "emails", "description": "Emails as durable jobs: stored, delivered, retried."},
    {"name": "jobs", "description": "Where each email job stands."},
    {"name": "slow", "description": "Waiting without blocking, and blocking."},
]

app = FastAPI(
    title="Background tasks",
    version="1.0.0",
    description="Chapter 15 of the **Poem API Workbook**: work after the response, and work "
    "that must not be lost.",
    openapi_tags=tags_metadata,
    lifespan=lifespan,
)


# ANCHOR: timeout
@app.middleware("http")
async def request_timeout(request: Request, call_next):
    """Every request gets REQUEST_TIMEOUT_SECS to start its answer, else a 504. A `def`
    operation's thread cannot be stopped: it runs on, and its answer is dropped."""
    try:
        return await asyncio.wait_for(call_next(request), REQUEST_TIMEOUT_SECS)
    except TimeoutError:
        return JSONResponse({"detail": "Request timeout"}, status_code=504)
# ANCHOR_END: timeout


# ANCHOR: notification
notification_lock = threading.Lock()


def one_line(text: str) -> str:
    """Control characters escaped (a newline in `q`, say): one notification is one line."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda match: f"\\x{ord(match.group()):02x}", text)


def write_notification(email: str, message: str = "") -> None:
    # A plain `def`: FastAPI runs it in its thread pool, where a slow disk blocks no request.
    # The lock keeps two lines from mixing.
    line = f"notification for {one_line(email)}: {one_line(message)}\n"
    with notification_lock, open(NOTIFICATION_LOG, mode="a", encoding="utf-8") as log:
        log.write(line)


class Message(BaseModel):
    message: str


@app.post(
    "/send-notification/{email}", tags=["notifications"], summary="Notify in the background"
)
async def send_notification(
    email: str, background_tasks: BackgroundTasks, q: str | None = None
) -> Message:
    """Answers at once; then the line `notification for <email>: <q>` is appended to the
    notification log. Kept nowhere else: if the server stops before it runs, it is lost."""
    background_tasks.add_task(write_notification, email, message=q or "some notification")
    return Message(message="Notification sent in the background")
# ANCHOR_END: notification


# ANCHOR: emails
def rfc3339(unix_ms: int) -> str:
    return datetime.fromtimestamp(unix_ms / 1000, timezone.utc).isoformat(timespec="milliseconds")


class EmailIn(BaseModel):
    to: EmailStr
    subject: str = Field(min_length=1, max_length=200, pattern=r"^[^\r\n\x00]*$")
    body: str = Field(max_length=100_000, pattern=r"^[^\x00]*$")


class JobOut(BaseModel):
    id: int
    to: str
    subject: str
    state: JobState
    attempts: int
    max_attempts: int
    last_error: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, job: Job) -> "JobOut":
        return cls(
            id=job.id,
            to=job.recipient,
            subject=job.subject,
            state=JobState(job.state),
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            last_error=job.last_error,
            created_at=rfc3339(job.created_at),
            updated_at=rfc3339(job.updated_at),
        )


# Ids are the database's 64-bit integers: a larger one is a 422 here, not a driver's 500.
JobId = Annotated[int, PathParam(le=2**63 - 1, ge=-(2**63))]


def get_job(db: Session, id: int) -> Job:
    job = db.get(Job, id)
    if job is None:
        raise HTTPException(status_code=404, detail="Job not found")
    return job


@app.post(
    "/emails/", status_code=status.HTTP_202_ACCEPTED, tags=["emails"], summary="Send an email"
)
def send_email(email: EmailIn, db: DbSession) -> JobOut:
    """Stores the email as a job, then answers 202: it is delivered by a worker, retried if
    the relay fails, and survives a restart."""
    return JobOut.of(queue.enqueue(db, email.to, email.subject, email.body))


@app.get("/jobs/{id}", tags=["jobs"], summary="Read a job")
def read_job(id: JobId, db: DbSession) -> JobOut:
    """The job's state (`queued`, `running`, `done`, `failed`) and attempts."""
    return JobOut.of(get_job(db, id))
# ANCHOR_END: emails


# ANCHOR: slow
Seconds = Annotated[int, Query(ge=0, le=30, description="How long to wait, 0 to 30 s")]


@app.get("/slow-async", tags=["slow"], summary="Wait without blocking")
async def slow_async(seconds: Seconds = 1):
    """`await asyncio.sleep`: the event loop serves other requests meanwhile."""
    await asyncio.sleep(seconds)
    return {"slept": seconds, "blocking": False}


@app.get("/slow-blocking", tags=["slow"], summary="Wait, blocking the event loop")
async def slow_blocking(seconds: Seconds = 1):
    """The mistake on purpose: `time.sleep` in an `async def` holds uvicorn's one event-loop
    thread, so every other request (and the timeout) waits too. As a plain `def`, FastAPI
    would run it on its thread pool, and only that thread would wait."""
    time.sleep(seconds)
    return {"slept": seconds, "blocking": True}
# ANCHOR_END: slow


# Exercises.


# ANCHOR: cancel
@app.delete(
    "/jobs/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["jobs"],
    summary="Cancel a job",
    responses={404: {"description": "No such job"}, 409: {"description": "Job is running"}},
)
def cancel_job(id: JobId, db: DbSession) -> None:
    """Exercise 1: delete a job that is not being delivered, in one statement, so that a
    worker cannot claim it between a look and the delete."""
    deleted = db.execute(delete(Job).where(Job.id == id, Job.state != JobState.RUNNING.value))
    db.commit()
    if deleted.rowcount == 0:
        get_job(db, id)  # 404 when there is none
        raise HTTPException(status_code=409, detail="Job is running")
# ANCHOR_END: cancel


# ANCHOR: list
@app.get("/jobs/", tags=["jobs"], summary="List jobs")
def list_jobs(db: DbSession, state: JobState | None = None) -> list[JobOut]:
    """Exercise 2: the jobs in a state (all without one), in order of id."""
    query = select(Job).order_by(Job.id)
    if state is not None:
        query = query.where(Job.state == state.value)
    return [JobOut.of(job) for job in db.scalars(query)]
# ANCHOR_END: list


# ANCHOR: retry
@app.post(
    "/jobs/{id}/retry",
    tags=["jobs"],
    summary="Retry a failed job",
    responses={404: {"description": "No such job"}, 409: {"description": "Not a failed job"}},
)
def retry_job(id: JobId, db: DbSession) -> JobOut:
    """Exercise 3: a failed job back in the queue, its attempts at 0, in one UPDATE."""
    retried = db.execute(
        update(Job)
        .where(Job.id == id, Job.state == JobState.FAILED.value)
        .values(state=JobState.QUEUED.value, attempts=0, run_at=now_ms(), updated_at=now_ms())
    )
    db.commit()
    job = get_job(db, id)
    if retried.rowcount == 0:
        raise HTTPException(status_code=409, detail="Only a failed job can be retried")
    queue.wake.set()
    return JobOut.of(job)
# ANCHOR_END: retry
