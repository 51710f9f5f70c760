"""Small BPMN documents with message events, each correlated by an order number unless told otherwise.

Message subscriptions are global, so every builder takes the message name: tests pass unique names.
"""

from __future__ import annotations

from engine.bundle import BundleFile
from tests.bpmn_samples import HEADER


def _document(key: str, body: str, *, messages: dict[str, str], correlated: bool) -> str:
    """The definitions: collaboration with the order correlation key, the messages, then the process body."""
    collaboration = (
        '<bpmn:collaboration id="Collab_1">'
        f'<bpmn:participant id="P_1" processRef="{key}"/>'
        + ('<bpmn:correlationKey name="order"><bpmn:correlationPropertyRef>order_number</bpmn:correlationPropertyRef>'
           "</bpmn:correlationKey>" if correlated else "")
        + "</bpmn:collaboration>\n"
    )
    message_xml = "".join(f'<bpmn:message id="{mid}" name="{name}"/>\n' for mid, name in messages.items())
    correlation = (
        '<bpmn:correlationProperty id="order_number" name="Order number">'
        + "".join(
            f'<bpmn:correlationPropertyRetrievalExpression messageRef="{mid}">'
            "<bpmn:formalExpression>order_number</bpmn:formalExpression>"
            "</bpmn:correlationPropertyRetrievalExpression>"
            for mid in messages
        )
        + "</bpmn:correlationProperty>\n"
        if correlated
        else ""
    )
    return (
        HEADER + collaboration + message_xml + correlation
        + f'<bpmn:process id="{key}" name="Messages {key}" isExecutable="true">\n{body}</bpmn:process>\n'
        "</bpmn:definitions>\n"
    )


def _message_ref(message_id: str, variable: str | None) -> str:
    ext = (
        "<bpmn:extensionElements>"
        f"<spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>"
        "</bpmn:extensionElements>"
        if variable
        else ""
    )
    return f'<bpmn:messageEventDefinition id="{message_id}_Def" messageRef="{message_id}">{ext}' \
           "</bpmn:messageEventDefinition>"


def _user_task(task_id: str, name: str, incoming: str, outgoing: str) -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="{name}"><bpmn:incoming>{incoming}</bpmn:incoming>'
        f"<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:userTask>\n"
    )


def _flow(flow_id: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'


def waiting_process(
    *, key: str, message: str, element: str = "intermediateCatchEvent", variable: str | None = "payment",
    correlated: bool = True,
) -> str:
    """start -> wait for `message` (an intermediate catch event or a receive task) -> user task Ship -> end.

    variable: the spiffworkflow:messageVariable the payload lands in (None: merged into the task data).
    """
    if element == "receiveTask":
        ext = (f"<bpmn:extensionElements><spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>"
               "</bpmn:extensionElements>" if variable else "")
        wait = (
            f'<bpmn:receiveTask id="Activity_AwaitPayment" name="Await payment" messageRef="Message_1">{ext}'
            "<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:receiveTask>\n"
        )
        wait_id = "Activity_AwaitPayment"
    else:
        wait = (
            '<bpmn:intermediateCatchEvent id="Event_AwaitPayment" name="Payment received">'
            "<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>"
            f"{_message_ref('Message_1', variable)}</bpmn:intermediateCatchEvent>\n"
        )
        wait_id = "Event_AwaitPayment"
    body = (
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        + _flow("Flow_1", "StartEvent_1", wait_id)
        + wait
        + _flow("Flow_2", wait_id, "Activity_Ship")
        + _user_task("Activity_Ship", "Ship", "Flow_2", "Flow_3")
        + _flow("Flow_3", "Activity_Ship", "EndEvent_1")
        + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _document(key, body, messages={"Message_1": message}, correlated=correlated)


def boundary_process(*, key: str, message: str, interrupting: bool = True) -> str:
    """start -> user task Review (a boundary event catches `message`) -> end; the boundary -> Handle cancellation."""
    body = (
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        + _flow("Flow_1", "StartEvent_1", "Activity_Review")
        + _user_task("Activity_Review", "Review", "Flow_1", "Flow_2")
        + _flow("Flow_2", "Activity_Review", "EndEvent_1")
        + f'<bpmn:boundaryEvent id="Event_Cancelled" name="Order cancelled" attachedToRef="Activity_Review" '
        f'cancelActivity="{"true" if interrupting else "false"}"><bpmn:outgoing>Flow_3</bpmn:outgoing>'
        f"{_message_ref('Message_1', 'cancellation')}</bpmn:boundaryEvent>\n"
        + _flow("Flow_3", "Event_Cancelled", "Activity_HandleCancellation")
        + _user_task("Activity_HandleCancellation", "Handle cancellation", "Flow_3", "Flow_4")
        + _flow("Flow_4", "Activity_HandleCancellation", "EndEvent_2")
        + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>\n'
        + '<bpmn:endEvent id="EndEvent_2"><bpmn:incoming>Flow_4</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _document(key, body, messages={"Message_1": message}, correlated=True)


def gateway_process(*, key: str, paid: str, cancelled: str) -> str:
    """start -> event-based gateway: `paid` -> user task Ship | `cancelled` -> user task Handle cancellation."""
    body = (
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        + _flow("Flow_1", "StartEvent_1", "Gateway_PaidOrCancelled")
        + '<bpmn:eventBasedGateway id="Gateway_PaidOrCancelled"><bpmn:incoming>Flow_1</bpmn:incoming>'
        "<bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:outgoing>Flow_3</bpmn:outgoing></bpmn:eventBasedGateway>\n"
        + _flow("Flow_2", "Gateway_PaidOrCancelled", "Event_Paid")
        + _flow("Flow_3", "Gateway_PaidOrCancelled", "Event_Cancelled")
        + '<bpmn:intermediateCatchEvent id="Event_Paid"><bpmn:incoming>Flow_2</bpmn:incoming>'
        f"<bpmn:outgoing>Flow_4</bpmn:outgoing>{_message_ref('Message_Paid', None)}</bpmn:intermediateCatchEvent>\n"
        + '<bpmn:intermediateCatchEvent id="Event_Cancelled"><bpmn:incoming>Flow_3</bpmn:incoming>'
        f"<bpmn:outgoing>Flow_5</bpmn:outgoing>{_message_ref('Message_Cancelled', None)}"
        "</bpmn:intermediateCatchEvent>\n"
        + _flow("Flow_4", "Event_Paid", "Activity_Ship")
        + _flow("Flow_5", "Event_Cancelled", "Activity_HandleCancellation")
        + _user_task("Activity_Ship", "Ship", "Flow_4", "Flow_6")
        + _user_task("Activity_HandleCancellation", "Handle cancellation", "Flow_5", "Flow_7")
        + _flow("Flow_6", "Activity_Ship", "EndEvent_1")
        + _flow("Flow_7", "Activity_HandleCancellation", "EndEvent_1")
        + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_6</bpmn:incoming>'
        "<bpmn:incoming>Flow_7</bpmn:incoming></bpmn:endEvent>\n"
    )
    return _document(key, body, messages={"Message_Paid": paid, "Message_Cancelled": cancelled}, correlated=True)


def message_start_process(*, key: str, message: str) -> str:
    """A message start event `message` -> user task Confirm order -> end (uncorrelated: it starts instances)."""
    body = (
        '<bpmn:startEvent id="StartEvent_OrderPlaced" name="Order placed"><bpmn:outgoing>Flow_1</bpmn:outgoing>'
        f"{_message_ref('Message_1', None)}</bpmn:startEvent>\n"
        + _flow("Flow_1", "StartEvent_OrderPlaced", "Activity_Confirm")
        + _user_task("Activity_Confirm", "Confirm order", "Flow_1", "Flow_2")
        + _flow("Flow_2", "Activity_Confirm", "EndEvent_1")
        + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>\n'
    )
    return _document(key, body, messages={"Message_1": message}, correlated=False)


def bundle(bpmn: str, *, name: str = "messages.bpmn") -> list[BundleFile]:
    """A one-file bundle."""
    return [BundleFile(name, bpmn.encode())]
