"""Notifications: addresses are checked before a mail is queued; diagrams queue mail through notifications.send_mail."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import transaction
from domain.errors import InvalidInput
from domain.notifications import service
from domain.notifications.models import MailStatus, OutboxMail
from domain.notifications.schemas import normalize_addresses
from engine import services
from tests.bpmn_samples import HEADER
from tests.flow import deploy_xml, instance_status, start
from tests.leftovers import no_leftover_jobs  # noqa: F401 - used by pytestmark

pytestmark = pytest.mark.usefixtures("no_leftover_jobs")


def test_a_comma_string_becomes_a_trimmed_list_without_duplicates() -> None:
    assert normalize_addresses(" buyer@example.com, Boss@Example.com;boss@example.com ,") == [
        "buyer@example.com", "Boss@Example.com"]


@pytest.mark.parametrize("bad", [
    "not-an-address",
    "buyer@localhost",
    "two@@example.com",
    "Buyer <buyer@example.com>",
    "buyer@example.com\r\nBcc: everyone@example.com",
    "",
])
def test_queue_mail_rejects_what_is_not_a_plain_address(session: Session, bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.queue_mail(session=session, to=[bad], subject="Hello", body="...")
    assert caught.value.code == "invalid_mail"


def test_a_subject_must_be_one_line(session: Session) -> None:
    with pytest.raises(InvalidInput, match="one line"):
        service.queue_mail(session=session, to="buyer@example.com", subject="Hi\nBcc: x@example.com", body="")


def test_queue_mail_writes_a_pending_row(session: Session) -> None:
    mail = service.queue_mail(session=session, to="buyer@example.com, finance@example.com", subject=" Order shipped ",
                              body="Your order left the warehouse.", reference="instance:7")
    stored = session.get(OutboxMail, mail.id)
    assert stored is not None and stored.status == MailStatus.PENDING and stored.sent_at is None
    assert service.recipients(stored) == ["buyer@example.com", "finance@example.com"]
    assert (stored.subject, stored.reference) == ("Order shipped", "instance:7")


def test_the_operator_is_registered_with_its_parameter_schema() -> None:
    described = {op["name"]: op for op in services.describe()}
    assert set(described["notifications.send_mail"]["parameters"]["required"]) == {"to", "subject", "body"}


def test_the_operator_rejects_a_bad_address_as_bad_parameters(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.call(session=session, name="notifications.send_mail",
                      params={"to": "buyer@example.com, nobody", "subject": "Hi", "body": "..."})
    assert caught.value.code == "bad_operator_params"
    assert caught.value.errors[0]["field"] == "to"


def test_the_operator_queues_a_mail_from_a_comma_string(session: Session) -> None:
    result = services.call(session=session, name="notifications.send_mail",
                           params={"to": "a@example.com,b@example.com", "subject": "Hi", "body": "Body"})
    mail = session.get(OutboxMail, result["mail_id"])
    assert mail is not None and mail.to_addrs == "a@example.com, b@example.com"
    assert result == {"mail_id": mail.id, "to": ["a@example.com", "b@example.com"], "status": "pending"}


def _notify_process(key: str) -> str:
    """start -> service task notifications.send_mail (recipients and subject from the instance's data) -> end."""
    return (
        HEADER
        + f'<bpmn:process id="{key}" name="Notify {key}" isExecutable="true">\n'
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_Notify"/>\n'
        '<bpmn:serviceTask id="Activity_Notify" name="Tell the buyer"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="notifications.send_mail" resultVariable="mail">'
        "<spiffworkflow:parameters>"
        '<spiffworkflow:parameter id="to" type="str" value="buyer_email"/>'
        '<spiffworkflow:parameter id="subject" type="str" value="\'Order \' + order_no + \' confirmed\'"/>'
        '<spiffworkflow:parameter id="body" type="str" value="\'We confirmed order \' + order_no + \'.\'"/>'
        '<spiffworkflow:parameter id="reference" type="str" value="order_no"/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
        "<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:serviceTask>\n"
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_Notify" targetRef="EndEvent_1"/>\n'
        '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    )


def test_a_diagram_queues_a_mail_in_the_step_that_reaches_its_service_task(world: None) -> None:
    key, order_no = f"notify_{uuid.uuid4().hex[:8]}", f"SO-{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", _notify_process(key))
    iid = start(key, {"buyer_email": "buyer@example.com", "order_no": order_no})
    assert instance_status(iid) == "completed"
    with transaction() as session:
        mail = session.scalar(select(OutboxMail).where(OutboxMail.reference == order_no))
        assert mail is not None
        assert (mail.to_addrs, mail.subject, mail.body) == (
            "buyer@example.com", f"Order {order_no} confirmed", f"We confirmed order {order_no}.")
