"""Monitoring figures checked against values computed independently from generated histories.

A small process is driven through the real runtime on a moved clock, with waits and work times drawn from a seeded
random generator; the test keeps its own log of when each task became ready, was claimed and was completed, and
computes every expected figure from that log with plain Python (statistics, sorted lists).
"""

from __future__ import annotations

import math
import random
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Float, literal, select, union_all
from sqlalchemy.orm import Session

from engine import deployment, history, metrics_branches, metrics_rollup, runtime
from engine.bundle import BundleFile
from engine.history import EventType
from engine.metrics import kpis
from engine.metrics_elements import Mode, bottlenecks, heatmap, waiting_at
from engine.metrics_facets import instances_with_facet
from engine.metrics_sql import Scope, distributions
from engine.metrics_work import AGE_BUCKETS, aging, workload
from engine.models import (
    HumanTask,
    Incident,
    InstanceStatus,
    PassageRollup,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)
from tests.bpmn_samples import HEADER
from tests.conftest import MovableClock

REVIEWERS = {"rita": runtime.Actor("rita", {"reviewers"}), "rolf": runtime.Actor("rolf", {"reviewers"})}
ANYONE = runtime.Actor("olga", {"ops"})
REVIEW_DUE = timedelta(hours=2)


def sample_process(key: str, name: str = "Metrics sample") -> str:
    """start -> Check (script) -> Gateway_Big: big -> Review (Reviewers, due PT2H) -> Approve (Reviewers) -> end;
    otherwise -> Quick check (no lane) -> end."""
    def user_task(task_id: str, label: str, incoming: str, outgoing: str, due: str = "") -> str:
        ext = (f'<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="dueIn" '
               f'value="{due}"/></spiffworkflow:properties></bpmn:extensionElements>' if due else "")
        return (f'<bpmn:userTask id="{task_id}" name="{label}">{ext}<bpmn:incoming>{incoming}</bpmn:incoming>'
                f"<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:userTask>\n")

    def flow(flow_id: str, source: str, target: str, condition: str = "", label: str = "") -> str:
        cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
                "</bpmn:conditionExpression>" if condition else "")
        return f'<bpmn:sequenceFlow id="{flow_id}" name="{label}" sourceRef="{source}" targetRef="{target}">{cond}' \
               "</bpmn:sequenceFlow>\n"

    return (
        HEADER
        + f'<bpmn:collaboration id="Collab_1"><bpmn:participant id="P_1" processRef="{key}"/></bpmn:collaboration>\n'
        f'<bpmn:process id="{key}" name="{name}" isExecutable="true">\n'
        '<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_Reviewers" name="Reviewers">'
        "<bpmn:flowNodeRef>Activity_Review</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_Approve</bpmn:flowNodeRef>"
        "</bpmn:lane></bpmn:laneSet>\n"
        '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>\n'
        + flow("Flow_1", "StartEvent_1", "Activity_Check")
        + '<bpmn:scriptTask id="Activity_Check" name="Check"><bpmn:incoming>Flow_1</bpmn:incoming>'
        "<bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:script>big = amount &gt; 100</bpmn:script></bpmn:scriptTask>\n"
        + flow("Flow_2", "Activity_Check", "Gateway_Big")
        + '<bpmn:exclusiveGateway id="Gateway_Big" name="Big?" default="Flow_Small"><bpmn:incoming>Flow_2'
        "</bpmn:incoming><bpmn:outgoing>Flow_Big</bpmn:outgoing><bpmn:outgoing>Flow_Small</bpmn:outgoing>"
        "</bpmn:exclusiveGateway>\n"
        + flow("Flow_Big", "Gateway_Big", "Activity_Review", "big", "Big")
        + flow("Flow_Small", "Gateway_Big", "Activity_QuickCheck", label="Small")
        + user_task("Activity_Review", "Review", "Flow_Big", "Flow_3", "PT2H")
        + flow("Flow_3", "Activity_Review", "Activity_Approve")
        + user_task("Activity_Approve", "Approve", "Flow_3", "Flow_4")
        + flow("Flow_4", "Activity_Approve", "EndEvent_1")
        + user_task("Activity_QuickCheck", "Quick check", "Flow_Small", "Flow_5")
        + flow("Flow_5", "Activity_QuickCheck", "EndEvent_1")
        + '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_4</bpmn:incoming><bpmn:incoming>Flow_5</bpmn:incoming>'
        "</bpmn:endEvent>\n</bpmn:process>\n</bpmn:definitions>\n"
    )


@dataclass
class TaskLog:
    instance: int
    element: str
    ready: datetime
    claimed: datetime | None = None
    completed: datetime | None = None
    assignee: str | None = None


@dataclass
class Generated:
    """The process key and what the test itself logged while driving the instances."""

    session: Session
    key: str
    definition: ProcessDefinition
    now: datetime
    started: dict[int, datetime] = field(default_factory=dict)
    ended: dict[int, datetime] = field(default_factory=dict)
    tier: dict[int, str] = field(default_factory=dict)
    big: dict[int, bool] = field(default_factory=dict)
    tasks: list[TaskLog] = field(default_factory=list)

    def done(self, element: str) -> list[TaskLog]:
        return [t for t in self.tasks if t.element == element and t.completed is not None]

    def open(self, element: str | None = None) -> list[TaskLog]:
        return [t for t in self.tasks if t.completed is None and element in (None, t.element)]


def rolled_up_ids(session: Session) -> set[int]:
    return set(session.scalars(select(PassageRollup.instance_id)))


def nearest_rank(values: list[float], p: int) -> float:
    """The p-th percentile by the nearest-rank method, computed by hand."""
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered) / 100) - 1]


def seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def _open_task(session: Session, instance_id: int, element: str) -> HumanTask:
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.element_id == element,
                                                  HumanTask.status == TaskStatus.OPEN))
    assert task is not None
    return task


def _work(session: Session, clock: MovableClock, log: TaskLog, rng: random.Random, *, finish: bool) -> None:
    """Wait, maybe claim, work, maybe complete one task, advancing the clock by random minutes."""
    clock.advance(minutes=rng.randint(5, 300))
    task = _open_task(session, log.instance, log.element)
    user = rng.choice(sorted(REVIEWERS))
    actor = REVIEWERS[user] if task.candidate_group == "reviewers" else runtime.Actor(user, set())
    if rng.random() < 0.7:
        runtime.claim_task(session=session, task_id=task.id, actor=actor)
        log.claimed, log.assignee = clock.now, user
        clock.advance(minutes=rng.randint(1, 180))
    if finish:
        runtime.complete_task(session=session, task_id=task.id, actor=actor, data={})
        log.completed = clock.now
        log.claimed = log.claimed or clock.now
        log.assignee = user


@pytest.fixture(params=["live", "rolled_up"])
def generated(request: pytest.FixtureRequest, moving_clock: MovableClock, session: Session) -> Generated:
    """18 instances over three days: a random share big (review, approve), some left waiting at either task.

    Every test runs twice: with the figures read live from the history, and with the finished instances rolled up.
    (The clock comes before the session, so it is reset after the session let go of the database.)
    """
    key = f"metrics_{uuid.uuid4().hex[:8]}"
    deployed = deployment.deploy(session=session, files=[BundleFile(f"{key}.bpmn", sample_process(key).encode())],
                                 actor="owner")
    gen = Generated(session, key, deployed[0].definition, moving_clock.now)
    rng = random.Random(6)
    for n in range(18):
        moving_clock.now = gen.now + timedelta(hours=4 * n, minutes=rng.randint(0, 59))
        amount, tier = rng.choice([50, 500, 900]), rng.choice(["key", "regular"])
        inst = runtime.start_instance(session=session, process_key=key, actor=ANYONE,
                                      variables={"amount": amount, "customer_tier": tier, "customer_code": f"C-{n}"})
        iid = inst.id
        gen.started[iid], gen.tier[iid], gen.big[iid] = moving_clock.now, tier, amount > 100
        stage = rng.choice(["first_open", "second_open", "done", "done"])
        first = TaskLog(iid, "Activity_Review" if amount > 100 else "Activity_QuickCheck", moving_clock.now)
        gen.tasks.append(first)
        _work(session, moving_clock, first, rng, finish=stage != "first_open")
        if amount > 100 and first.completed:
            second = TaskLog(iid, "Activity_Approve", moving_clock.now)
            gen.tasks.append(second)
            _work(session, moving_clock, second, rng, finish=stage == "done")
        if all(t.completed for t in gen.tasks if t.instance == iid):
            gen.ended[iid] = moving_clock.now
    gen.now = gen.now + timedelta(days=4)
    moving_clock.now = gen.now
    if request.param == "rolled_up":
        metrics_rollup.refresh(session=session)
        assert set(gen.ended) <= rolled_up_ids(session)
    return gen


def durations(gen: Generated, element: str, mode: Mode) -> list[float]:
    spans = {Mode.WAITING: lambda t: (t.ready, t.claimed), Mode.WORKING: lambda t: (t.claimed, t.completed),
             Mode.TOTAL: lambda t: (t.ready, t.completed)}[mode]
    return [seconds(*spans(t)) for t in gen.done(element)]


def test_instances_started_and_completed_per_day_match_the_log(generated: Generated) -> None:
    session = generated.session
    figures = kpis(session=session, scope=Scope(generated.key), now=generated.now)
    started = Counter(t.date().isoformat() for t in generated.started.values())
    completed = Counter(t.date().isoformat() for t in generated.ended.values())
    assert dict(figures.started_per_day) == started
    assert dict(figures.completed_per_day) == completed
    assert figures.running == len(generated.started) - len(generated.ended)


@pytest.mark.parametrize("p", [50, 90])
def test_cycle_time_percentiles_are_nearest_rank_of_completed_instances(generated: Generated, p: int) -> None:
    session = generated.session
    cycle = [seconds(generated.started[i], end) for i, end in generated.ended.items()]
    figures = kpis(session=session, scope=Scope(generated.key), now=generated.now)
    assert figures.cycle_time.count == len(cycle)
    assert getattr(figures.cycle_time, f"p{p}") == pytest.approx(nearest_rank(cycle, p), abs=0.01)
    assert figures.cycle_time.mean == pytest.approx(statistics.fmean(cycle), abs=0.01)


def test_cycle_time_histogram_counts_every_completed_instance_once(generated: Generated) -> None:
    session = generated.session
    figures = kpis(session=session, scope=Scope(generated.key), now=generated.now)
    cycle = [seconds(generated.started[i], end) for i, end in generated.ended.items()]
    expected = [sum(1 for c in cycle if (low or -1) < c <= (high or math.inf))
                for low, high in zip([None, *[le for le, _ in figures.cycle_histogram][:-1]],
                                     [le for le, _ in figures.cycle_histogram], strict=True)]
    assert [n for _, n in figures.cycle_histogram] == expected


def test_sla_breaches_are_late_completions_and_open_tasks_past_due(generated: Generated) -> None:
    session = generated.session
    figures = kpis(session=session, scope=Scope(generated.key), now=generated.now)
    done = generated.done("Activity_Review")
    assert figures.sla_completed_late == sum(1 for t in done if t.completed - t.ready > REVIEW_DUE)  # type: ignore
    assert figures.sla_open_overdue == sum(1 for t in generated.open("Activity_Review")
                                           if generated.now - t.ready > REVIEW_DUE)
    assert figures.sla_tasks_with_due == len(done)


def test_open_incidents_of_the_process_are_counted(generated: Generated) -> None:
    session = generated.session
    some = sorted(generated.started)[:2]
    for iid in some:
        session.add(Incident(instance_id=iid, kind="service", error="boom"))
    session.flush()
    assert kpis(session=session, scope=Scope(generated.key), now=generated.now).open_incidents == len(some)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("element", ["Activity_Review", "Activity_Approve", "Activity_QuickCheck"])
def test_heatmap_splits_human_time_into_waiting_working_and_total(generated: Generated, mode: Mode,
                                                                  element: str) -> None:
    session = generated.session
    expected = durations(generated, element, mode)
    figures = heatmap(session=session, scope=Scope(generated.key), mode=mode, now=generated.now)[element]
    assert figures.human
    assert figures.passed == len(expected)
    assert figures.duration.mean == pytest.approx(statistics.fmean(expected), abs=0.01)
    assert figures.duration.p50 == pytest.approx(nearest_rank(expected, 50), abs=0.01)
    assert figures.duration.p90 == pytest.approx(nearest_rank(expected, 90), abs=0.01)


def test_waiting_plus_working_is_total_for_each_element(generated: Generated) -> None:
    session = generated.session
    maps = {m: heatmap(session=session, scope=Scope(generated.key), mode=m, now=generated.now) for m in Mode}
    for element in ("Activity_Review", "Activity_Approve"):
        waiting, working = maps[Mode.WAITING][element].duration, maps[Mode.WORKING][element].duration
        assert waiting.total + working.total == pytest.approx(maps[Mode.TOTAL][element].duration.total, abs=0.01)


def test_heatmap_counts_the_tasks_waiting_now_and_the_oldest_age(generated: Generated) -> None:
    session = generated.session
    figures = heatmap(session=session, scope=Scope(generated.key), now=generated.now)
    for element in ("Activity_Review", "Activity_Approve", "Activity_QuickCheck"):
        waiting = generated.open(element)
        assert figures[element].waiting_now == len(waiting) if element in figures else not waiting
        if waiting:
            oldest = max(seconds(t.ready, generated.now) for t in waiting)
            assert figures[element].oldest_waiting_seconds == pytest.approx(oldest, abs=0.01)


def test_non_human_elements_count_passages_with_total_time_only(generated: Generated) -> None:
    session = generated.session
    total = heatmap(session=session, scope=Scope(generated.key), mode=Mode.TOTAL, now=generated.now)
    waiting = heatmap(session=session, scope=Scope(generated.key), mode=Mode.WAITING, now=generated.now)
    assert total["Activity_Check"].passed == len(generated.started)
    assert total["EndEvent_1"].passed == len(generated.ended)
    assert not total["Activity_Check"].human and total["Activity_Check"].duration.mean == 0
    assert waiting["Activity_Check"].duration.mean is None


@pytest.mark.parametrize("rolled_up", [False, True])
def test_time_since_the_previous_completion_is_a_non_human_elements_duration(moving_clock: MovableClock,
                                                                           session: Session, rolled_up: bool) -> None:
    key = f"metrics_auto_{uuid.uuid4().hex[:8]}"
    deployed = deployment.deploy(session=session, files=[BundleFile(f"{key}.bpmn", sample_process(key).encode())],
                                 actor="owner")[0].definition
    rng, gaps, ids = random.Random(7), [], []
    for _ in range(7):
        inst = ProcessInstance(definition_id=deployed.id, process_key=key, state="{}", serializer_version="1",
                               started_by="olga", started_at=moving_clock.now)
        session.add(inst)
        session.flush()
        ids.append(inst.id)
        history.record(session=session, type_=EventType.ELEMENT_COMPLETED, actor="olga", instance_id=inst.id,
                       element_id="StartEvent_1")
        gap = rng.randint(1, 5000)
        moving_clock.advance(seconds=gap)
        history.record(session=session, type_=EventType.JOB_SCHEDULED, actor="olga", instance_id=inst.id,
                       element_id="Activity_Check")  # not a completion: does not restart the clock
        moving_clock.advance(seconds=gap)
        history.record(session=session, type_=EventType.SERVICE_CALLED, actor="olga", instance_id=inst.id,
                       element_id="Activity_Check")
        gaps.append(2.0 * gap)
        if rolled_up:
            inst.status, inst.ended_at = InstanceStatus.COMPLETED, moving_clock.now
    if rolled_up:
        session.flush()
        metrics_rollup.refresh(session=session)
        assert set(ids) <= rolled_up_ids(session)
    figures = heatmap(session=session, scope=Scope(key), now=moving_clock.now)["Activity_Check"]
    assert figures.passed == len(gaps)
    assert figures.duration.mean == pytest.approx(statistics.fmean(gaps), abs=0.01)
    assert figures.duration.p90 == pytest.approx(nearest_rank(gaps, 90), abs=0.01)
    assert figures.duration.p50 == pytest.approx(nearest_rank(gaps, 50), abs=0.01)


def test_a_time_range_counts_only_tasks_completed_inside_it(generated: Generated) -> None:
    session = generated.session
    since = min(generated.started.values()) + timedelta(days=1)
    until = since + timedelta(days=1)
    inside = [t for t in generated.done("Activity_Review") if since <= t.completed < until]  # type: ignore
    figures = heatmap(session=session, scope=Scope(generated.key, since=since, until=until), now=generated.now)
    assert (figures["Activity_Review"].passed if "Activity_Review" in figures else 0) == len(inside)


def test_bottlenecks_rank_elements_by_their_share_of_time_and_by_queue(generated: Generated) -> None:
    session = generated.session
    by_time, by_queue = bottlenecks(session=session, scope=Scope(generated.key), now=generated.now)
    sums = {el: sum(durations(generated, el, Mode.TOTAL))
            for el in ("Activity_Review", "Activity_Approve", "Activity_QuickCheck")}
    grand = sum(sums.values())  # every other element takes no time on the moved clock
    assert [b.element_id for b in by_time] == sorted(sums, key=lambda el: -sums[el])
    for b in by_time:
        assert b.share == pytest.approx(sums[b.element_id] / grand)
    queues = Counter(t.element for t in generated.open())
    assert [(b.element_id, b.waiting_now) for b in by_queue] == sorted(queues.items(), key=lambda kv: (
        -kv[1], -max(seconds(t.ready, generated.now) for t in generated.open(kv[0])), kv[0]))


def test_drill_down_lists_the_waiting_instances_oldest_first_with_their_age(generated: Generated) -> None:
    session = generated.session
    rows = waiting_at(session=session, scope=Scope(generated.key), element_id="Activity_Approve", now=generated.now)
    expected = sorted(generated.open("Activity_Approve"), key=lambda t: t.ready)
    assert [r.instance_id for r in rows] == [t.instance for t in expected]
    assert [r.age_seconds for r in rows] == pytest.approx([seconds(t.ready, generated.now) for t in expected])


def _bucket(age: float) -> int:
    return next((i for i, bound in enumerate(AGE_BUCKETS) if age <= bound), len(AGE_BUCKETS))


def test_open_task_aging_per_group_puts_each_task_in_its_age_bucket(generated: Generated) -> None:
    session = generated.session
    expected: dict[str, list[int]] = {}
    for t in generated.open():
        group = "" if t.element == "Activity_QuickCheck" else "reviewers"
        expected.setdefault(group, [0] * (len(AGE_BUCKETS) + 1))[_bucket(seconds(t.ready, generated.now))] += 1
    assert aging(session=session, scope=Scope(generated.key), by="group", now=generated.now) == expected


def test_open_task_aging_per_user_counts_claimed_tasks(generated: Generated) -> None:
    session = generated.session
    expected: dict[str, list[int]] = {}
    for t in generated.open():
        if t.assignee:
            expected.setdefault(t.assignee, [0] * (len(AGE_BUCKETS) + 1))[
                _bucket(seconds(t.ready, generated.now))] += 1
    assert aging(session=session, scope=Scope(generated.key), by="user", now=generated.now) == expected


def test_workload_per_user_counts_open_claimed_and_completed(generated: Generated) -> None:
    session = generated.session
    rows = {w.user: w for w in workload(session=session, scope=Scope(generated.key),
                                        groups_of={"rita": {"reviewers"}, "rolf": {"reviewers"}})}
    unclaimed_reviews = sum(1 for t in generated.open() if t.assignee is None and t.element != "Activity_QuickCheck")
    for user in REVIEWERS:
        assert rows[user].claimed == sum(1 for t in generated.open() if t.assignee == user)
        assert rows[user].completed == sum(1 for t in generated.tasks if t.completed and t.assignee == user)
        assert rows[user].open == unclaimed_reviews


def test_branch_shares_count_the_flow_each_passage_took(generated: Generated) -> None:
    session = generated.session
    (gateway,) = metrics_branches.branch_shares(session=session, scope=Scope(generated.key),
                                                definition=generated.definition)
    shares = gateway.as_dict()
    big = sum(generated.big.values())
    assert gateway.passages == len(generated.started)
    assert {f["flow_id"]: f["count"] for f in shares["flows"]} == {"Flow_Big": big,
                                                                   "Flow_Small": len(generated.started) - big}
    assert {f["flow_id"]: f["share"] for f in shares["flows"]}["Flow_Big"] == pytest.approx(
        big / len(generated.started))


def test_a_facet_filter_keeps_only_instances_with_that_value(generated: Generated) -> None:
    session = generated.session
    figures = kpis(session=session, scope=Scope(generated.key, facets=(("customer_tier", "key"),)),
                   now=generated.now)
    keyed = [i for i, tier in generated.tier.items() if tier == "key"]
    assert sum(n for _, n in figures.started_per_day) == len(keyed)
    assert figures.running == sum(1 for i in keyed if i not in generated.ended)


def test_instances_with_facet_finds_every_instance_of_a_customer(generated: Generated) -> None:
    session = generated.session
    first = min(generated.started)
    assert instances_with_facet(session, "customer_code", "C-0") == [first]


def test_a_version_filter_leaves_out_other_versions(generated: Generated) -> None:
    session = generated.session
    deployment.deploy(session=session, files=[BundleFile(f"{generated.key}.bpmn",
                                                          sample_process(generated.key, "Renamed").encode())],
                      actor="owner")
    runtime.start_instance(session=session, process_key=generated.key, actor=ANYONE,
                           variables={"amount": 5, "customer_tier": "key"})
    v1 = kpis(session=session, scope=Scope(generated.key, version=1), now=generated.now)
    v2 = kpis(session=session, scope=Scope(generated.key, version=2), now=generated.now)
    assert sum(n for _, n in v1.started_per_day) == len(generated.started)
    assert sum(n for _, n in v2.started_per_day) == 1


def test_a_second_refresh_rolls_up_nothing_again(generated: Generated) -> None:
    metrics_rollup.refresh(session=generated.session)
    assert metrics_rollup.refresh(session=generated.session) == 0
    assert metrics_rollup.pending(generated.session) == []


def test_percentiles_are_nearest_rank_for_every_group_size(session: Session) -> None:
    rng = random.Random(90)
    samples = {f"n{n}": [float(rng.randint(0, 10_000)) for _ in range(n)] for n in (1, 2, 7, 10, 30, 70, 113)}
    rows = [select(literal(grp).label("grp"), literal(value, Float).label("dur"))
            for grp, values in samples.items() for value in values]
    result = distributions(session, union_all(*rows))
    for grp, values in samples.items():
        assert (result[grp].p50, result[grp].p90) == (nearest_rank(values, 50), nearest_rank(values, 90)), grp
        assert result[grp].count == len(values)
