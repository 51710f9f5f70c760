"""In-browser modeling: drafts, bpmn-js/dmn-js editors, form editor, validation (#5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
