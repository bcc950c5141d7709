"""Email jobs that outlive the process: a table, a queue on it, and workers beside the server.

A job is stored before the request that made it is answered, then claimed by a worker with a
lease: `queued` → `running` → `done`, or back to `queued` (a retry, after a growing wait), or
`failed` when its attempts are spent. A worker that dies mid-delivery leaves a lease that runs
out; another worker then claims the job again. Deliveries are idempotent (the outbox file is
named after its job, the SMTP message id too), so a job delivered twice after a crash does no
harm; after a clean stop, no job is delivered twice: the workers finish what they started.
"""

import logging
import os
import random
import smtplib
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from enum import Enum
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import BigInteger, Integer, String, Text, or_, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

logger = logging.getLogger("uvicorn.error")


def now_ms() -> int:
    return int(time.time() * 1000)


# ANCHOR: table
class Base(DeclarativeBase):
    pass


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One email to send. Times are Unix milliseconds, the same on every backend."""

    __tablename__ = "jobs"

    # 64-bit ids; SQLite makes one for INTEGER PRIMARY KEY only, which is 64-bit too.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text().with_variant(Text(16_777_215), "mysql"))
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(Text)
    run_at: Mapped[int] = mapped_column(BigInteger, index=True)
    lease_until: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
# ANCHOR_END: table


# ANCHOR: settings
@dataclass(frozen=True)
class WorkerSettings:
    smtp_url: str | None  # smtp://host:port; None: write each email into outbox_dir
    outbox_dir: Path
    mail_from: str
    smtp_timeout: float
    max_attempts: int
    retry_base_ms: int
    retry_max_ms: int
    lease_ms: int
    concurrency: int
    poll_seconds: float
    shutdown_timeout: float
# ANCHOR_END: settings


# ANCHOR: delivery
def deliver(job: Job, settings: WorkerSettings) -> None:
    """Sends the email, or raises why not. Delivering one job twice gives the same result."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = job.recipient
    message["Subject"] = job.subject
    # One id per job: a relay or a mailbox can tell a second delivery is the same email.
    message["Message-ID"] = f"<job-{job.id}@{socket.gethostname()}>"
    message.set_content(job.body)
    if settings.smtp_url is None:
        # Named after the job and moved into place whole: a second delivery replaces it.
        settings.outbox_dir.mkdir(parents=True, exist_ok=True)
        partial = settings.outbox_dir / f".job-{job.id}.eml.partial"
        partial.write_bytes(message.as_bytes())
        os.replace(partial, settings.outbox_dir / f"job-{job.id}.eml")
        return
    relay = urlsplit(settings.smtp_url)
    with smtplib.SMTP(relay.hostname, relay.port or 25, timeout=settings.smtp_timeout) as smtp:
        smtp.send_message(message)
# ANCHOR_END: delivery


# ANCHOR: queue
class Queue:
    def __init__(self, sessions: sessionmaker[Session], settings: WorkerSettings):
        self.sessions = sessions
        self.settings = settings
        self.wake = threading.Event()

    def enqueue(self, db: Session, recipient: str, subject: str, body: str) -> Job:
        now = now_ms()
        job = Job(
            recipient=recipient,
            subject=subject,
            body=body,
            max_attempts=self.settings.max_attempts,
            run_at=now,
            created_at=now,
            updated_at=now,
        )
        db.add(job)
        db.commit()
        self.wake.set()
        return job

    def claim(self) -> Job | None:
        """A due job, now ours until its lease runs out: a queued one whose time has come, or
        a running one whose worker died. The UPDATE's WHERE makes two workers never both
        win one job: the second finds it changed and updates nothing."""
        now = now_ms()
        claimable = or_(
            (Job.state == JobState.QUEUED.value) & (Job.run_at <= now),
            (Job.state == JobState.RUNNING.value) & (Job.lease_until < now),
        )
        with self.sessions() as db:
            due = select(Job.id).where(claimable).order_by(Job.run_at).limit(8)
            for job_id in list(db.scalars(due)):
                claimed = db.execute(
                    update(Job)
                    .where(Job.id == job_id, claimable)
                    .values(
                        state=JobState.RUNNING.value,
                        attempts=Job.attempts + 1,
                        lease_until=now + self.settings.lease_ms,
                        updated_at=now,
                    )
                )
                db.commit()
                if claimed.rowcount == 1:
                    return db.get(Job, job_id)
        return None

    def finish(self, job: Job, error: str | None) -> None:
        """Done, back in the queue after a growing wait, or failed for good. Only while the
        lease is still ours (same attempt), so that a late worker changes nothing."""
        now = now_ms()
        if error is None:
            values = {"state": JobState.DONE.value, "last_error": None}
        elif job.attempts >= job.max_attempts:
            values = {"state": JobState.FAILED.value, "last_error": error}
        else:
            retry_at = now + self.backoff_ms(job.attempts)
            values = {"state": JobState.QUEUED.value, "last_error": error, "run_at": retry_at}
        ours = (Job.id == job.id) & (Job.state == JobState.RUNNING.value)
        with self.sessions() as db:
            db.execute(
                update(Job)
                .where(ours, Job.attempts == job.attempts)
                .values(lease_until=None, updated_at=now, **values)
            )
            db.commit()

    def backoff_ms(self, attempts: int) -> int:
        """Exponential, capped, with jitter: failed jobs do not all come back at once."""
        growing = self.settings.retry_base_ms * 2 ** (attempts - 1)
        ceiling = min(growing, self.settings.retry_max_ms)
        return int(ceiling * random.uniform(0.5, 1.0))
# ANCHOR_END: queue


# ANCHOR: workers
class Workers:
    """WORKER_CONCURRENCY threads that claim and deliver jobs until stopped."""

    def __init__(self, queue: Queue):
        self.queue = queue
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.queue.settings.concurrency):
            thread = threading.Thread(target=self.run, name=f"email-worker-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self.queue.claim()
            except Exception:
                logger.exception("cannot claim a job; trying again")
                job = None
            if job is None:
                self.queue.wake.wait(self.queue.settings.poll_seconds)
                self.queue.wake.clear()
                continue
            try:
                deliver(job, self.queue.settings)
                error = None
            except Exception as err:
                error = f"{type(err).__name__}: {err}"
                logger.warning("job %s, attempt %s failed: %s", job.id, job.attempts, error)
            self.queue.finish(job, error)

    def stop(self) -> None:
        """A clean stop: claim nothing more, and let each worker finish its delivery, up to
        SHUTDOWN_TIMEOUT_SECS. A job still running then keeps its lease, and is claimed
        again once the lease runs out."""
        self.stopping.set()
        self.queue.wake.set()
        deadline = time.monotonic() + self.queue.settings.shutdown_timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
# ANCHOR_END: workers
