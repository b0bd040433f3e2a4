"""Bodies of 422 answers, declared in the OpenAPI schema so clients can rely on them.

FastAPI declares every route's 422 as its own validation error (``detail`` a list of
``{loc, msg, type}``). Routes that also refuse well-formed input with a 422 of their own shape
(a workflow refusal, a register entry's problems, a weak password) declare ``unprocessable``:
either body, so the schema matches every 422 the route can send.
"""

from __future__ import annotations

from typing import Any, Union

from pydantic import BaseModel, Field

from occupancy.api.schemas_register import FieldProblem, ImportRefused


class InputProblem(BaseModel):
    """One way the request did not match its declared parameters or body."""

    loc: list[str | int] = Field(description="Where: location, then field names or indexes.")
    msg: str
    type: str


class InvalidInput(BaseModel):
    """The request did not match the declared parameters or body (FastAPI's own 422)."""

    detail: list[InputProblem]


class Refused(BaseModel):
    """Well-formed input refused, with the reason in words."""

    detail: str


class WorkflowRefusal(BaseModel):
    code: str = Field(description="Machine-readable reason, e.g. note_required.")
    state: str = Field(description="The flag's state when the action was refused.")
    message: str


class WorkflowRefused(BaseModel):
    """The flag's workflow refused the action's input (e.g. an unknown worker, a missing
    note); nothing was changed."""

    detail: WorkflowRefusal


class EntryProblems(BaseModel):
    message: str
    errors: list[FieldProblem]


class EntryRefused(BaseModel):
    """The register entry has problems (listed in ``detail.errors``); nothing was saved."""

    detail: EntryProblems


class ImportRefusedReply(BaseModel):
    """The file has problems (listed in ``detail.errors``); nothing was imported."""

    detail: ImportRefused


def unprocessable(refusal: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """``responses`` entry for a route whose 422 is FastAPI's validation error or ``refusal``."""
    body: Any = Union[InvalidInput, refusal]  # noqa: UP007 (a runtime union of two classes)
    return {422: {"model": body, "description": description}}
