"""HTTP routes: feeds."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/feeds", tags=["feeds"])
