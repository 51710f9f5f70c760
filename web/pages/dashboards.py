"""Manager dashboards: KPIs, heatmap, bottlenecks, branch analysis (#6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
