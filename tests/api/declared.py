"""Does an answer match what the route declares in ``/openapi.json``? (The schemathesis test
checks this for generated calls; route tests use it for the answers they provoke on purpose.)
``jsonschema_rs`` comes with schemathesis (the test extra)."""

from __future__ import annotations

import httpx
import jsonschema_rs
from fastapi.testclient import TestClient


def assert_declared(client: TestClient, method: str, path: str, response: httpx.Response) -> None:
    """``response``'s JSON body is valid against the schema declared for its status code by
    the operation ``method path`` (``path`` as in the schema, e.g. ``/api/flags/{flag_id}``)."""
    spec = client.app.openapi()  # type: ignore[attr-defined]
    declared = spec["paths"][path][method.lower()]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    jsonschema_rs.validate({**schema, "components": spec["components"]}, response.json())
