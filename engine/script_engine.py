"""Flowdesk's script engine: sandboxed scripts/expressions and service calls in the step's transaction.

SpiffWorkflow does not serialize the script engine: runtime attaches a fresh one after every load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from sqlalchemy.orm import Session

from engine import history, services
from engine.history import EventType, to_jsonable
from engine.sandbox import SandboxEnvironment


@dataclass
class StepContext:
    """What one engine step may touch: the transaction, the instance and who acts."""

    session: Session
    instance_id: int
    actor: str
    open_before: set[str] = field(default_factory=set)  # guids of READY human tasks when the step began
    closed: set[str] = field(default_factory=set)  # human tasks this step completed


class FlowdeskScriptEngine(PythonScriptEngine):
    def __init__(self, context: StepContext | None = None) -> None:
        super().__init__(environment=SandboxEnvironment())
        self.context = context

    def call_operator(self, task: Any, operation_name: str, operation_params: dict[str, Any]) -> Any:
        """Run a registered operator synchronously; the result keeps Decimals."""
        if self.context is None:
            raise RuntimeError("service task run without a step context")
        params = {name: p["value"] for name, p in operation_params.items()}
        ctx = self.context
        result = services.call(session=ctx.session, name=operation_name, params=params)
        history.record(
            session=ctx.session, type_=EventType.SERVICE_CALLED, actor=ctx.actor, instance_id=ctx.instance_id,
            element_id=task.task_spec.bpmn_id, task_guid=str(task.id),
            data={"operator": operation_name, "params": params, "result": result},
        )
        return result

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """The library's hook (JSON string contract); Flowdesk's own service task uses call_operator."""
        return json.dumps(to_jsonable(self.call_operator(task, kwargs["operation_name"], kwargs["operation_params"])))
