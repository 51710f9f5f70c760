"""BPMN builders for timer and retry tests (timer expressions are Python: "PT1H" is quoted)."""

from __future__ import annotations

from tests.bpmn_samples import HEADER


def _lane(key: str, nodes: list[str]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return (f'<bpmn:process id="{key}" name="{key}" isExecutable="true">\n'
            f'<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_Ops" name="Ops">{refs}</bpmn:lane></bpmn:laneSet>\n')


def _flow(fid: str, src: str, dst: str) -> str:
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}"/>\n'


def _user(tid: str, name: str, inc: str, out: str) -> str:
    return (f'<bpmn:userTask id="{tid}" name="{name}"><bpmn:incoming>{inc}</bpmn:incoming>'
            f"<bpmn:outgoing>{out}</bpmn:outgoing></bpmn:userTask>\n")


def _timer(duration: str) -> str:
    return ('<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
            f'"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>')


def intermediate_timer(key: str, duration: str = "PT1H") -> str:
    """start -> First -> wait (timer) -> Second -> end."""
    nodes = ["StartEvent_1", "Activity_First", "Event_Wait", "Activity_Second", "EndEvent_1"]
    return (HEADER + _lane(key, nodes)
            + '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
            + _flow("Flow_1", "StartEvent_1", "Activity_First") + _user("Activity_First", "First", "Flow_1", "Flow_2")
            + _flow("Flow_2", "Activity_First", "Event_Wait")
            + f'<bpmn:intermediateCatchEvent id="Event_Wait" name="Wait"><bpmn:incoming>Flow_2</bpmn:incoming>'
            f"<bpmn:outgoing>Flow_3</bpmn:outgoing>{_timer(duration)}</bpmn:intermediateCatchEvent>\n"
            + _flow("Flow_3", "Event_Wait", "Activity_Second") + _user("Activity_Second", "Second", "Flow_3", "Flow_4")
            + _flow("Flow_4", "Activity_Second", "EndEvent_1")
            + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_4</bpmn:incoming></bpmn:endEvent>\n'
            + "</bpmn:process>\n</bpmn:definitions>\n")


def boundary_timer(key: str, *, interrupting: bool, duration: str = "PT2H") -> str:
    """start -> Approve (boundary timer -> Escalate -> end) -> end."""
    nodes = ["StartEvent_1", "Activity_Approve", "Event_Late", "Activity_Escalate", "EndEvent_Done", "EndEvent_Esc"]
    cancel = "true" if interrupting else "false"
    return (HEADER + _lane(key, nodes)
            + '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
            + _flow("Flow_1", "StartEvent_1", "Activity_Approve")
            + _user("Activity_Approve", "Approve", "Flow_1", "Flow_2")
            + _flow("Flow_2", "Activity_Approve", "EndEvent_Done")
            + '<bpmn:endEvent id="EndEvent_Done"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>\n'
            + f'<bpmn:boundaryEvent id="Event_Late" name="Late" attachedToRef="Activity_Approve" '
            f'cancelActivity="{cancel}"><bpmn:outgoing>Flow_3</bpmn:outgoing>{_timer(duration)}</bpmn:boundaryEvent>\n'
            + _flow("Flow_3", "Event_Late", "Activity_Escalate")
            + _user("Activity_Escalate", "Escalate", "Flow_3", "Flow_4")
            + _flow("Flow_4", "Activity_Escalate", "EndEvent_Esc")
            + '<bpmn:endEvent id="EndEvent_Esc"><bpmn:incoming>Flow_4</bpmn:incoming></bpmn:endEvent>\n'
            + "</bpmn:process>\n</bpmn:definitions>\n")


def async_service_with_retries(key: str, operator: str, *, retries: int | None = None, backoff: int = 1) -> str:
    """start -> async service task (operator, optional spiff retry) -> Check (user task) -> end."""
    retry = f'<spiffworkflow:retry retries="{retries}" backoff_base="{backoff}"/>' if retries is not None else ""
    nodes = ["StartEvent_1", "Activity_Call", "Activity_Check", "EndEvent_1"]
    return (HEADER + _lane(key, nodes)
            + '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
            + _flow("Flow_1", "StartEvent_1", "Activity_Call")
            + '<bpmn:serviceTask id="Activity_Call" name="Call"><bpmn:extensionElements>'
            '<spiffworkflow:properties><spiffworkflow:property name="async" value="true"/></spiffworkflow:properties>'
            f'<spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="result">'
            '<spiffworkflow:parameters><spiffworkflow:parameter id="customer_code" type="str" value="customer_code"/>'
            f"</spiffworkflow:parameters>{retry}</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
            "<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:serviceTask>\n"
            + _flow("Flow_2", "Activity_Call", "Activity_Check") + _user("Activity_Check", "Check", "Flow_2", "Flow_3")
            + _flow("Flow_3", "Activity_Check", "EndEvent_1")
            + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>\n'
            + "</bpmn:process>\n</bpmn:definitions>\n")


def timer_start(key: str, expression: str, kind: str = "timeCycle", task_name: str = "Check") -> str:
    """A process started by a timer: start (timer) -> Check (user task) -> end."""
    nodes = ["StartEvent_Timer", "Activity_Check", "EndEvent_1"]
    return (HEADER + _lane(key, nodes)
            + '<bpmn:startEvent id="StartEvent_Timer" name="Every hour"><bpmn:outgoing>Flow_1</bpmn:outgoing>'
            f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">"{expression}"</bpmn:{kind}>'
            "</bpmn:timerEventDefinition></bpmn:startEvent>\n"
            + _flow("Flow_1", "StartEvent_Timer", "Activity_Check")
            + _user("Activity_Check", task_name, "Flow_1", "Flow_2")
            + _flow("Flow_2", "Activity_Check", "EndEvent_1")
            + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>\n'
            + "</bpmn:process>\n</bpmn:definitions>\n")


def message_or_timeout(key: str, duration: str = "PT1H") -> str:
    """start -> event-based gateway: message "paid_<key>" -> Ship, or timer -> Chase; both -> end."""
    nodes = ["StartEvent_1", "Gateway_Wait", "Event_Paid", "Event_Timeout", "Activity_Ship", "Activity_Chase",
             "EndEvent_1", "EndEvent_2"]
    body = _lane(key, nodes) + (
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        + _flow("Flow_1", "StartEvent_1", "Gateway_Wait")
        + '<bpmn:eventBasedGateway id="Gateway_Wait" name="Paid or late?"><bpmn:incoming>Flow_1</bpmn:incoming>'
        "<bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:outgoing>Flow_3</bpmn:outgoing></bpmn:eventBasedGateway>\n"
        + _flow("Flow_2", "Gateway_Wait", "Event_Paid") + _flow("Flow_3", "Gateway_Wait", "Event_Timeout")
        + '<bpmn:intermediateCatchEvent id="Event_Paid" name="Paid"><bpmn:incoming>Flow_2</bpmn:incoming>'
        '<bpmn:outgoing>Flow_4</bpmn:outgoing><bpmn:messageEventDefinition messageRef="Message_Paid"/>'
        "</bpmn:intermediateCatchEvent>\n"
        + '<bpmn:intermediateCatchEvent id="Event_Timeout" name="Late"><bpmn:incoming>Flow_3</bpmn:incoming>'
        f"<bpmn:outgoing>Flow_5</bpmn:outgoing>{_timer(duration)}</bpmn:intermediateCatchEvent>\n"
        + _flow("Flow_4", "Event_Paid", "Activity_Ship") + _user("Activity_Ship", "Ship", "Flow_4", "Flow_6")
        + _flow("Flow_5", "Event_Timeout", "Activity_Chase") + _user("Activity_Chase", "Chase", "Flow_5", "Flow_7")
        + _flow("Flow_6", "Activity_Ship", "EndEvent_1") + _flow("Flow_7", "Activity_Chase", "EndEvent_2")
        + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_6</bpmn:incoming></bpmn:endEvent>\n'
        + '<bpmn:endEvent id="EndEvent_2"><bpmn:incoming>Flow_7</bpmn:incoming></bpmn:endEvent>\n'
        + "</bpmn:process>\n")
    return HEADER + f'<bpmn:message id="Message_Paid" name="paid_{key}"/>\n' + body + "</bpmn:definitions>\n"
