"""Mail is a job: a real SMTP server on loopback receives what the "mail" job sends; failures retry; no server holds.

Jobs run through engine.jobs.run_job (what both transports call) and once through the embedded worker.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from domain.db import transaction
from domain.notifications import service as notifications
from domain.notifications.models import MailStatus, OutboxMail
from domain.settings import get_settings
from engine import jobs
from engine.models import Job, JobStatus
from tasks import mailer
from tasks.embedded import start_embedded_worker
from tests.conftest import MovableClock
from tests.leftovers import no_leftover_jobs  # noqa: F401 - used by pytestmark

pytestmark = pytest.mark.usefixtures("no_leftover_jobs")


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps what it accepts, refuses the first `refuse` messages with a temporary error."""

    refuse: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    logins: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 mailbox busy, try again later"
        self.envelopes.append(list(envelope.rcpt_tos))
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append(auth_data.login)
        return AuthResult(success=auth_data.password == b"s3cret")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(inbox: Inbox, port: int, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    """A running SMTP server on loopback."""
    box = Inbox()
    controller = serve(box, smtp_port)
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(monkeypatch: pytest.MonkeyPatch, smtp_port: int) -> None:
    """The mailer sees FLOWDESK_SMTP_HOST/PORT pointing at the loopback server."""
    configured = replace(get_settings(), smtp_host="127.0.0.1", smtp_port=smtp_port,
                         smtp_from="flowdesk@example.com")
    monkeypatch.setattr(mailer, "get_settings", lambda: configured)


def _queue(subject: str = "", body: str = "Order SO-1 shipped.\n发货单已寄出。", to: str = "buyer@example.com") -> int:
    with transaction() as session:
        return notifications.queue_mail(session=session, to=to, subject=subject or f"Shipped {uuid.uuid4().hex[:8]}",
                                        body=body, reference="test").id


def _job(mail_id: int) -> Job:
    with transaction() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == mailer.job_key(mail_id)))
        assert job is not None
        return job


def _mail(mail_id: int) -> OutboxMail:
    with transaction() as session:
        return notifications.get_mail(session=session, mail_id=mail_id)


def test_every_new_outbox_mail_gets_its_job_dispatched_after_commit(world: None) -> None:
    seen: list[list[int]] = []
    jobs.set_dispatcher(seen.append)
    try:
        mail_id = _queue()
    finally:
        jobs.set_dispatcher(None)
    job = _job(mail_id)
    assert (job.kind, job.status, job.instance_id, job.payload) == ("mail", JobStatus.PENDING, None,
                                                                   {"mail_id": mail_id})
    assert seen == [[job.id]]


def test_a_mail_whose_transaction_rolls_back_leaves_no_job(world: None) -> None:
    with pytest.raises(RuntimeError), transaction() as session:
        mail_id = notifications.queue_mail(session=session, to="buyer@example.com", subject="Never", body="").id
        raise RuntimeError("the step failed")
    with transaction() as session:
        assert session.get(OutboxMail, mail_id) is None
        assert session.scalar(select(Job).where(Job.idempotency_key == mailer.job_key(mail_id))) is None


def test_the_job_sends_the_mail_to_the_smtp_server(world: None, inbox: Inbox, smtp_settings: None) -> None:
    mail_id = _queue(subject="Order SO-1 shipped", to="buyer@example.com, finance@example.com")
    assert jobs.run_job(_job(mail_id).id) == "done"
    assert inbox.envelopes == [["buyer@example.com", "finance@example.com"]]
    message = inbox.received[0]
    assert message["Subject"] == "Order SO-1 shipped"
    assert message["From"] == "flowdesk@example.com"
    assert message["Message-ID"] == f"<flowdesk-mail-{mail_id}@example.com>"
    assert message.get_content().replace("\r\n", "\n") == "Order SO-1 shipped.\n发货单已寄出。\n"
    mail = _mail(mail_id)
    assert mail.status == MailStatus.SENT and mail.sent_at is not None and mail.attempts == 1


def test_running_the_job_of_a_sent_mail_again_sends_nothing(world: None, inbox: Inbox, smtp_settings: None) -> None:
    job_id = _job(_queue()).id
    assert jobs.run_job(job_id) == "done"
    assert jobs.run_job(job_id) == "skipped"
    with transaction() as session:  # delivered twice anyway (a lost ack): the handler sees the mail is sent
        job = session.get(Job, job_id)
        assert job is not None
        job.status = JobStatus.PENDING
    assert jobs.run_job(job_id) == "done"
    assert len(inbox.received) == 1


def test_a_refusing_server_fails_the_job_which_retries_later(world: None, inbox: Inbox, smtp_settings: None,
                                                             moving_clock: MovableClock) -> None:
    inbox.refuse = 1
    mail_id = _queue()
    job_id = _job(mail_id).id
    assert jobs.run_job(job_id) == "failed"
    mail, job = _mail(mail_id), _job(mail_id)
    assert (mail.status, mail.attempts) == (MailStatus.PENDING, 1) and "451" in (mail.last_error or "")
    assert job.status == JobStatus.PENDING and job.due_at > moving_clock.now
    assert jobs.run_job(job_id) == "skipped"  # not due yet
    moving_clock.now = job.due_at
    assert jobs.run_job(job_id) == "done"
    assert len(inbox.received) == 1
    assert _mail(mail_id).status == MailStatus.SENT and _job(mail_id).attempts == 2


def test_a_server_that_is_down_fails_the_job_and_it_succeeds_once_the_server_is_back(
        world: None, smtp_port: int, smtp_settings: None, moving_clock: MovableClock) -> None:
    mail_id = _queue()
    job_id = _job(mail_id).id
    assert jobs.run_job(job_id) == "failed"
    assert "ConnectionRefusedError" in (_mail(mail_id).last_error or "")
    box = Inbox()
    controller = serve(box, smtp_port)
    try:
        moving_clock.now = _job(mail_id).due_at
        assert jobs.run_job(job_id) == "done"
    finally:
        controller.stop()
    assert len(box.received) == 1 and _mail(mail_id).status == MailStatus.SENT


def test_the_last_failed_attempt_marks_the_mail_failed(world: None, smtp_settings: None,
                                                       moving_clock: MovableClock) -> None:
    mail_id = _queue()
    job_id = _job(mail_id).id
    for _ in range(mailer.MAX_ATTEMPTS):
        assert jobs.run_job(job_id) == "failed"
        moving_clock.now = max(moving_clock.now, _job(mail_id).due_at)
    mail, job = _mail(mail_id), _job(mail_id)
    assert (mail.status, mail.attempts, job.status) == (MailStatus.FAILED, mailer.MAX_ATTEMPTS, JobStatus.FAILED)


def test_without_an_smtp_server_the_mail_is_held_not_failed(world: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailer, "get_settings", lambda: replace(get_settings(), smtp_host=None))
    mail_id = _queue()
    assert jobs.run_job(_job(mail_id).id) == "done"
    mail = _mail(mail_id)
    assert (mail.status, mail.attempts, mail.last_error, mail.sent_at) == (MailStatus.HELD, 0, None, None)
    assert mail.body.startswith("Order SO-1 shipped.")  # still readable in the outbox


def test_the_mailer_logs_in_when_a_user_is_configured(world: None, smtp_port: int, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    box = Inbox()
    controller = serve(box, smtp_port, authenticator=box.authenticate, auth_require_tls=False)
    configured = replace(get_settings(), smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_user="flowdesk",
                         smtp_password="s3cret")
    monkeypatch.setattr(mailer, "get_settings", lambda: configured)
    try:
        mail_id = _queue()
        assert jobs.run_job(_job(mail_id).id) == "done"
    finally:
        controller.stop()
    assert box.logins == [b"flowdesk"] and len(box.received) == 1


def test_smtp_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"HOST": "mail.example.com", "PORT": "587", "USER": "u", "PASSWORD": "p",
                        "FROM": "bpm@example.com", "STARTTLS": "true"}.items():
        monkeypatch.setenv(f"FLOWDESK_SMTP_{name}", value)
    get_settings.cache_clear()
    try:
        s = get_settings()
        assert (s.smtp_host, s.smtp_port, s.smtp_user, s.smtp_password, s.smtp_from, s.smtp_starttls) == (
            "mail.example.com", 587, "u", "p", "bpm@example.com", True)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert get_settings().smtp_host is None


def test_the_embedded_worker_sends_a_mail_once_its_transaction_commits(world: None, inbox: Inbox,
                                                                       smtp_settings: None) -> None:
    worker = start_embedded_worker(poll=30.0)  # dispatch only: no sweep of other tests' jobs during this test
    try:
        mail_id = _queue(subject="Sent by the embedded worker")
        deadline = time.monotonic() + 10
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        jobs.set_dispatcher(None)
        worker.stop()
        worker.submit([0])  # wake it: job 0 does not exist, so it stops without sweeping
        worker.join(timeout=10)
    assert [m["Subject"] for m in inbox.received] == ["Sent by the embedded worker"]
    assert _mail(mail_id).status == MailStatus.SENT
