"""Flowdesk's script engine: sandboxed scripts/expressions and service calls in the step's transaction.

SpiffWorkflow does not serialize the script engine: runtime attaches a fresh one after every load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from sqlalchemy.orm import Session

from engine import services
from engine.history import to_jsonable
from engine.sandbox import SandboxEnvironment


@dataclass
class StepContext:
    """What one engine step may touch: the transaction, the instance and who acts."""

    session: Session
    instance_id: int
    actor: str
    service_calls: list[dict[str, Any]] = field(default_factory=list)


class FlowdeskScriptEngine(PythonScriptEngine):
    def __init__(self, context: StepContext | None = None) -> None:
        super().__init__(environment=SandboxEnvironment())
        self.context = context

    def call_operator(self, task: Any, operation_name: str, operation_params: dict[str, Any]) -> Any:
        """Run a registered operator synchronously; the result keeps Decimals."""
        if self.context is None:
            raise RuntimeError("service task run without a step context")
        params = {name: p["value"] for name, p in operation_params.items()}
        result = services.call(session=self.context.session, name=operation_name, params=params)
        self.context.service_calls.append(
            {
                "element_id": task.task_spec.bpmn_id,
                "task_guid": str(task.id),
                "operator": operation_name,
                "params": to_jsonable(params),
                "result": to_jsonable(result),
            }
        )
        return result

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """The library's hook (JSON string contract); Flowdesk's own service task uses call_operator."""
        return json.dumps(to_jsonable(self.call_operator(task, kwargs["operation_name"], kwargs["operation_params"])))
