"""In Chromium: a process owner changes lead-to-cash in the modeler (a credit check in a new lane, a gateway after it),
sees the validation errors pinned on the diagram, fixes them in the properties panel, deploys v2; new instances run
on v2 and reach the new task in the inbox, running ones stay on v1 until the owner migrates one, which its history
shows.

The diagram is lead_to_cash.bpmn deployed under a fresh key, so the shared lead_to_cash of the test run stays v1.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from domain.db import transaction
from engine import deployment, runtime
from engine.bundle import SPIFF_NS, BundleFile
from engine.models import HumanTask, ProcessDefinition, ProcessInstance, TaskStatus
from tests.browser.test_inbox_browser import goods, shot, sign_in  # noqa: F401 - goods is a fixture
from tests.engine.test_drafts import lead_to_cash_files

pytestmark = pytest.mark.browser

# Builds the change with the bpmn-js modeling API (what a drag from the palette does): a lane at the bottom, a user
# task "Check credit" in it after "Load customer", then a gateway "Credit ok?" going on to "Capture lead" or ending.
ADD_CREDIT_CHECK = """() => {
  const m = window.flowdeskModeler.bpmn;
  const reg = m.get('elementRegistry'), modeling = m.get('modeling'), bpmnFactory = m.get('bpmnFactory');
  const participant = reg.get('Participant_LeadToCash');
  const lane = modeling.addLane(reg.get('Lane_Finance'), 'bottom');
  const y = lane.y + lane.height / 2;
  const shape = (type, id, name, x) => modeling.createShape(
    {type: type, businessObject: bpmnFactory.create(type, {id: id, name: name})}, {x: x, y: y}, participant);
  const task = shape('bpmn:UserTask', 'Activity_CheckCredit', 'Check credit', 420);
  const gateway = shape('bpmn:ExclusiveGateway', 'Gateway_CreditOk', 'Credit ok?', 560);
  const flow = (id, source, target) => modeling.connect(source, target,
    {type: 'bpmn:SequenceFlow', businessObject: bpmnFactory.create('bpmn:SequenceFlow', {id: id})});
  modeling.reconnectEnd(reg.get('Flow_LoadCustomerToCaptureLead'), task, {x: task.x, y: task.y + 40});
  flow('Flow_ToCreditOk', task, gateway);
  flow('Flow_CreditOk', gateway, reg.get('Activity_CaptureLead'));
  flow('Flow_CreditRefused', gateway, reg.get('EndEvent_LeadDisqualified'));
  return lane.id;
}"""


# More of what Flowdesk executes than lead_to_cash uses: an async operator with a diagram retry, scripts around a task.
RICHER = (
    ('<spiffworkflow:serviceTaskOperator id="inventory.reserve_stock" resultVariable="reservation">',
     '<spiffworkflow:properties><spiffworkflow:property name="async" value="true" /></spiffworkflow:properties>'
     '<spiffworkflow:serviceTaskOperator id="inventory.reserve_stock" resultVariable="reservation">'),
    ('<spiffworkflow:parameter id="order_id" type="int" value="sales_order[&#34;id&#34;]" />\n'
     '          </spiffworkflow:parameters>\n        </spiffworkflow:serviceTaskOperator>',
     '<spiffworkflow:parameter id="order_id" type="int" value="sales_order[&#34;id&#34;]" />\n'
     '          </spiffworkflow:parameters><spiffworkflow:retry retries="4" backoff_base="3" />\n'
     '        </spiffworkflow:serviceTaskOperator>'),
    ('<spiffworkflow:property name="dueIn" value="P3D" />',
     '<spiffworkflow:property name="dueIn" value="P3D" /></spiffworkflow:properties>'
     '<spiffworkflow:preScript>packed = False</spiffworkflow:preScript>'
     '<spiffworkflow:postScript>packed = True</spiffworkflow:postScript><spiffworkflow:properties>'),
)


def deploy_copy(richer: bool = False) -> ProcessDefinition:
    files = lead_to_cash_files(f"l2c_{uuid.uuid4().hex[:6]}")
    if richer:
        xml = files[0].content.decode()
        for old, new in RICHER:
            assert old in xml, old
            xml = xml.replace(old, new, 1)
        files[0] = BundleFile(files[0].name, xml.encode())
    with transaction() as session:
        return deployment.deploy(session=session, files=files, actor="owner")[0].definition


def start_lead(key: str, customer: str) -> tuple[int, str]:
    business_key = f"CR-{uuid.uuid4().hex[:8].upper()}"
    with transaction() as session:
        instance = runtime.start_instance(session=session, process_key=key, actor=runtime.Actor("sales", {"sales"}),
                                          business_key=business_key, variables={
                                              "customer_code": customer, "lead_title": "Pumps", "source": "phone"})
        return instance.id, business_key


def placed(instance_id: int) -> tuple[int, list[tuple[str, str | None]]]:
    """(version, open tasks with their candidate group) of an instance."""
    with transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        tasks = session.execute(select(HumanTask.element_id, HumanTask.candidate_group).where(
            HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)).all()
        return definition.version, [(t[0], t[1]) for t in tasks]


def open_modeler(page: Any, key: str) -> None:
    page.goto(f"/processes/{key}/1")
    page.click("#edit-version")
    page.wait_for_url("**/modeler/drafts/*")
    page.wait_for_selector("#modeler-canvas[data-rendered=true]")


def issue(page: Any, element_id: str, code: str) -> Any:
    return page.locator(f"#issue-list li[data-element='{element_id}'][data-code='{code}']")


def test_an_owner_adds_a_task_fixes_the_gateway_and_deploys_v2(page: Any, goods: tuple[str, str]) -> None:  # noqa: F811
    customer, _ = goods
    v1 = deploy_copy()
    old_instance, _ = start_lead(v1.key, customer)
    sign_in(page, "owner")
    open_modeler(page, v1.key)
    lane_id = page.evaluate(ADD_CREDIT_CHECK)
    page.click("#modeler-save")
    page.wait_for_selector("#modeler-status[data-kind=success]")

    page.click("#modeler-validate")
    badge = page.locator(".fd-issue-badge[data-element='Gateway_CreditOk']")
    badge.wait_for()
    assert issue(page, "Gateway_CreditOk", "gateway-without-default").count() == 1
    assert issue(page, lane_id, "unknown-group").count() == 1
    shot(page, "modeler-validation-errors")

    issue(page, lane_id, "unknown-group").click()
    page.select_option("#prop-lane-group", "finance")
    badge.click()  # the badge on the diagram selects the gateway
    page.select_option("#prop-gateway-default", "Flow_CreditOk")
    issue(page, "Flow_CreditRefused", "missing-condition").click()
    page.fill("#prop-condition", "not credit_ok")
    page.locator("#prop-condition").blur()
    page.wait_for_selector("#condition-check.ok")

    page.click("#modeler-validate")
    page.wait_for_selector("#modeler-status[data-kind=success]")
    assert page.locator("#issue-list li.error").count() == 0
    page.click("#modeler-deploy")
    page.wait_for_url(f"**/processes/{v1.key}/2")
    assert "Deployed Lead to cash v2." in page.content()
    shot(page, "modeler-deployed-v2")

    new_instance, business_key = start_lead(v1.key, customer)
    assert placed(new_instance) == (2, [("Activity_CheckCredit", "finance")])
    assert placed(old_instance) == (1, [("Activity_FirstContact", "sales")])
    page.click("form[action='/logout'] button[type=submit]")
    sign_in(page, "finance")
    row = page.locator("tr", has_text=business_key)
    assert "Check credit" in row.first.inner_text()
    shot(page, "modeler-new-task-in-inbox")

    # The old instance stayed on v1; the owner moves it to v2 and its history says so.
    page.click("form[action='/logout'] button[type=submit]")
    sign_in(page, "owner")
    page.goto(f"/migrations/{v1.key}?from=1&to=2")
    row = page.locator(f"#check-{old_instance}")
    assert row.get_attribute("class") == "can-move"
    page.click("#migrate-btn")
    page.wait_for_selector("#results")
    assert page.locator(f"#result-{old_instance}").get_attribute("class") == "moved"
    assert placed(old_instance) == (2, [("Activity_FirstContact", "sales")])
    page.goto(f"/instances/{old_instance}")
    assert "v1 → v2" in page.locator("#history .event-instance_migrated").inner_text()
    shot(page, "modeler-old-instance-migrated")


def test_spiffworkflow_extensions_survive_a_load_and_save_round_trip(page: Any) -> None:
    v1 = deploy_copy(richer=True)
    sign_in(page, "owner")
    open_modeler(page, v1.key)
    saved = page.evaluate("() => window.flowdeskModeler.bpmn.saveXML({format: true}).then(r => r.xml)")
    assert page.evaluate("() => window.flowdeskModeler.state.lost") == []

    def extensions(xml: str) -> list[tuple[str, dict[str, str], str]]:
        root = etree.fromstring(xml.encode())
        return [(etree.QName(el).localname, dict(el.attrib), (el.text or "").strip())
                for el in root.iter(f"{{{SPIFF_NS}}}*")]

    before = extensions(v1.bpmn_xml)
    assert {"retry", "preScript", "postScript", "calledDecisionId"} <= {name for name, _, _ in before}
    assert extensions(saved) == before


def pick(page: Any, element_id: str) -> None:
    """Select an element as a click on the canvas does."""
    page.evaluate("id => { const m = window.flowdeskModeler.bpmn;"
                  " m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)
    page.wait_for_selector(f"#properties[data-element='{element_id}']")


def saved_xml(page: Any) -> etree._Element:
    xml = page.evaluate("() => window.flowdeskModeler.bpmn.saveXML().then(r => r.xml)")
    return etree.fromstring(xml.encode())


def test_the_panel_writes_operators_forms_and_timers_as_flowdesk_reads_them(page: Any) -> None:
    v1 = deploy_copy()
    sign_in(page, "owner")
    open_modeler(page, v1.key)

    pick(page, "Activity_ReserveStock")
    assert page.input_value("#prop-operator") == "inventory.reserve_stock"
    assert page.input_value("[data-param=order_id]") == 'sales_order["id"]'
    page.fill("#prop-retries", "4")
    page.locator("#prop-retries").blur()
    page.check("#prop-async")
    pick(page, "Activity_ShipOrder")
    page.select_option("#prop-form", "record_payment.schema.json")
    timer_id = page.evaluate("""() => { const m = window.flowdeskModeler.bpmn, reg = m.get('elementRegistry');
      const host = reg.get('Activity_ShipOrder');
      return m.get('modeling').createShape(
        {type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition'},
        {x: host.x + 80, y: host.y + 80}, host, {attach: true}).id; }""")
    pick(page, timer_id)
    page.fill("#prop-timer", '"P3D"')
    page.locator("#prop-timer").blur()
    page.wait_for_selector("#timer-preview.ok")
    assert page.inner_text("#timer-preview") == "3 days after the task starts"

    root = saved_xml(page)
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "spiffworkflow": SPIFF_NS}
    reserve = root.find(".//bpmn:serviceTask[@id='Activity_ReserveStock']", ns)
    assert reserve.find(".//spiffworkflow:retry", ns).get("retries") == "4"
    assert reserve.find(".//spiffworkflow:property[@name='async']", ns).get("value") == "true"
    ship = root.find(".//bpmn:userTask[@id='Activity_ShipOrder']", ns)
    assert ship.find(".//spiffworkflow:property[@name='formJsonSchemaFilename']", ns).get("value") == \
        "record_payment.schema.json"
    assert root.find(f".//bpmn:boundaryEvent[@id='{timer_id}']//bpmn:timeDuration", ns).text == '"P3D"'
    page.click("#modeler-save")
    page.wait_for_selector("#modeler-status[data-kind=success]")
    shot(page, "modeler-panel")


def test_the_form_editor_previews_the_form_and_flags_invalid_json(page: Any) -> None:
    v1 = deploy_copy()
    sign_in(page, "owner")
    open_modeler(page, v1.key)
    page.click(".tabs [data-tab=forms]")
    page.select_option("#form-file", "ship_order.schema.json")
    page.wait_for_selector("#form-preview [data-preview=ok]")
    assert page.locator("#form-preview input, #form-preview select, #form-preview textarea").count() > 0
    page.fill("#form-json", '{"type": "object", "properties": {')
    page.wait_for_selector("#form-json-error")
    shot(page, "modeler-form-editor")
    page.click(".tabs [data-tab=decisions]")
    page.wait_for_selector("#dmn-canvas[data-rendered=true]")
    assert page.locator("#dmn-canvas table").count() > 0
