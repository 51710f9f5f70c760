"""The outbox page: queued and held mails readable by admins, process owners and managers; translated."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import select

from domain.db import transaction
from domain.notifications import service as notifications
from engine import jobs
from engine.models import Job
from tasks import mailer
from tests.leftovers import no_leftover_jobs  # noqa: F401 - used by pytestmark
from tests.web.conftest import Browser

pytestmark = pytest.mark.usefixtures("no_leftover_jobs")


def _queue(subject: str, body: str = "Your order SO-42 left the warehouse.") -> int:
    with transaction() as session:
        return notifications.queue_mail(session=session, to="buyer@example.com, finance@example.com",
                                        subject=subject, body=body, reference="SO-42").id


def test_an_admin_sees_a_queued_mail_in_the_list_and_its_body(browser: Callable[..., Browser]) -> None:
    subject = f"Order shipped {uuid.uuid4().hex[:8]}"
    mail_id = _queue(subject)
    admin = browser("admin")
    listing = admin.get("/outbox")
    assert listing.status_code == 200
    assert subject in listing.text and f'href="/outbox/{mail_id}"' in listing.text
    assert "buyer@example.com, finance@example.com" in listing.text and "Queued" in listing.text
    detail = admin.get(f"/outbox/{mail_id}")
    assert detail.status_code == 200 and "Your order SO-42 left the warehouse." in detail.text


def test_a_held_mail_is_shown_as_held_with_the_reason(browser: Callable[..., Browser]) -> None:
    subject = f"Held {uuid.uuid4().hex[:8]}"
    mail_id = _queue(subject)
    with transaction() as session:
        job_id = session.scalar(select(Job.id).where(Job.idempotency_key == mailer.job_key(mail_id)))
    assert job_id is not None and jobs.run_job(job_id) == "done"  # no SMTP configured in tests
    page = browser("owner").get("/outbox?status=held")
    assert page.status_code == 200 and subject in page.text
    assert 'id="smtp-notice"' in page.text and "Held is not an error" in page.text


def test_the_body_is_escaped(browser: Callable[..., Browser]) -> None:
    mail_id = _queue(f"Escaped {uuid.uuid4().hex[:8]}", body="<script>alert('x')</script>")
    page = browser("admin").get(f"/outbox/{mail_id}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_sales_may_not_read_the_outbox(browser: Callable[..., Browser]) -> None:
    mail_id = _queue(f"Secret {uuid.uuid4().hex[:8]}")
    sales = browser("sales")
    assert sales.get("/outbox").status_code == 403
    assert sales.get(f"/outbox/{mail_id}").status_code == 403


def test_an_unknown_mail_is_404(browser: Callable[..., Browser]) -> None:
    assert browser("admin").get("/outbox/987654321").status_code == 404


def test_the_outbox_speaks_chinese(browser: Callable[..., Browser]) -> None:
    subject = f"订单已发货 {uuid.uuid4().hex[:8]}"
    _queue(subject)
    page = browser("manager").get("/outbox")  # the demo manager's own setting is zh_Hans_CN
    assert page.status_code == 200 and subject in page.text
    assert "发件箱" in page.text and "收件人" in page.text and "未配置邮件服务器" in page.text


def test_the_outbox_is_in_the_nav_only_for_those_who_may_read_it(browser) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/outbox"' in browser("owner").get("/").text
    assert 'href="/outbox"' not in browser("sales").get("/").text
