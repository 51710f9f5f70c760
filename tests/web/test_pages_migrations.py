"""Migrating instances in the browser (server-rendered): choose versions, map, check, migrate, see the results."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from domain.db import transaction
from engine.models import ProcessDefinition
from tests.web.conftest import Browser
from tests.web.test_api_migrations import two_versions


def _key(definition_id: int) -> str:
    with transaction() as session:
        definition = session.get(ProcessDefinition, definition_id)
        assert definition is not None
        return definition.key


def _version(instance_id: int) -> int:
    from engine.models import ProcessInstance

    with transaction() as session:
        return int(session.scalar(select(ProcessDefinition.version).join(
            ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id).where(
            ProcessInstance.id == instance_id)) or 0)


def test_the_processes_page_links_owners_to_the_migration(world: None, browser: Callable[..., Browser]) -> None:
    _, v2, _ = two_versions()
    key = _key(v2)
    assert f'href="/migrations/{key}"' in browser("owner").get("/processes").text
    assert f'href="/migrations/{key}' in browser("owner").get(f"/processes/{key}/2").text
    assert f'href="/migrations/{key}"' not in browser("manager").get("/processes").text


def test_the_check_lists_each_instance_and_an_owner_migrates_the_selected_ones(
        world: None, browser: Callable[..., Browser]) -> None:
    _, v2, ids = two_versions(instances=2)
    key, owner = _key(v2), browser("owner")
    page = owner.get(f"/migrations/{key}?from=1&to=2")
    assert page.status_code == 200
    for iid in ids:
        assert f'id="check-{iid}" class="can-move"' in page.text
    versions = dict(re.findall(r'name="v:(\d+)" value="(\d+)"', page.text))
    after = owner.post(f"/migrations/{key}", {"from": "1", "to": "2", "instance": str(ids[0]),
                                              f"v:{ids[0]}": versions[str(ids[0])]})
    assert after.status_code == 200
    assert f'id="result-{ids[0]}" class="moved"' in after.text and "1 of 1 instance moved." in after.text
    assert (_version(ids[0]), _version(ids[1])) == (2, 1)  # only the selected one moved
    history = owner.get(f"/instances/{ids[0]}").text
    assert "Instance migrated" in history and "v1 → v2" in history


def test_a_missing_element_gets_a_mapping_select_and_the_mapped_check_can_move(
        world: None, browser: Callable[..., Browser]) -> None:
    _, v2, [iid] = two_versions(v2_task="Activity_Approve")
    key, owner = _key(v2), browser("owner")
    page = owner.get(f"/migrations/{key}?from=1&to=2")
    assert f'id="check-{iid}" class="cannot-move"' in page.text and 'data-code="element_missing"' in page.text
    assert 'name="map:Activity_Review"' in page.text and 'value="Activity_Approve"' in page.text
    mapped = owner.get(f"/migrations/{key}?from=1&to=2&map:Activity_Review=Activity_Approve")
    assert f'id="check-{iid}" class="can-move"' in mapped.text
    assert 'type="hidden" name="map:Activity_Review" value="Activity_Approve"' in mapped.text
    done = owner.post(f"/migrations/{key}", {"from": "1", "to": "2", "instance": str(iid),
                                             "map:Activity_Review": "Activity_Approve"})
    assert f'id="result-{iid}" class="moved"' in done.text


def test_an_instance_changed_since_the_check_is_shown_as_refused(world: None, browser: Callable[..., Browser]) -> None:
    _, v2, [iid] = two_versions()
    key, owner = _key(v2), browser("owner")
    done = owner.post(f"/migrations/{key}", {"from": "1", "to": "2", "instance": str(iid), f"v:{iid}": "0"})
    assert f'id="result-{iid}" class="refused"' in done.text and 'data-code="instance_changed"' in done.text
    assert _version(iid) == 1


def test_people_who_do_not_deploy_may_not_open_or_post_the_migration(world: None,
                                                                      browser: Callable[..., Browser]) -> None:
    _, v2, [iid] = two_versions()
    key = _key(v2)
    for user in ("sales", "auditor"):
        b = browser(user)
        assert b.get(f"/migrations/{key}").status_code == 403
        assert b.post(f"/migrations/{key}", {"from": "1", "to": "2", "instance": str(iid)}).status_code == 403
    assert _version(iid) == 1


def test_migrating_without_a_selection_is_refused(world: None, browser: Callable[..., Browser]) -> None:
    _, v2, _ = two_versions()
    response = browser("owner").post(f"/migrations/{_key(v2)}", {"from": "1", "to": "2"})
    assert response.status_code == 422 and "Select at least one instance" in response.text
