"""HTTP routes: route."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/route", tags=["route"])
