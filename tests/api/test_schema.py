"""The OpenAPI document, its docs page, and Schemathesis run against it (bounded examples).

Schemathesis drives the Django WSGI app in-process, signed in as a district supervisor, and
checks that no answer is a server error and every answer matches the schema: status codes,
content types, headers and bodies.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridmgmt.models import Department, Grid, Officer, Region, Road
from tasks_app.models import Category, Task
from tasks_app.workflow import Status

MAX_EXAMPLES = 8  # per operation and mode: enough to find crashes, bounded for the suite
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def test_the_schema_describes_every_endpoint_and_its_errors(db):
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    doc = response.json()
    paths = doc["paths"]
    for action in ("assign", "start", "submit", "verify", "extend", "extend/decide", "hold",
                   "resume", "void", "urge", "campaign"):
        responses = paths[f"/api/v1/tasks/{{id}}/{action}/"]["post"]["responses"]
        assert {"200", "400", "403", "404", "409", "412"} <= set(responses), action
        assert responses["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/Error")
    for path in ("/api/v1/tasks/", "/api/v1/tasks/{id}/events/", "/api/v1/tasks/{id}/photos/",
                 "/api/v1/tasks/{id}/photos/{photo_pk}/", "/api/v1/grids/locate/",
                 "/api/v1/roads/", "/api/v1/regions/", "/api/v1/officers/",
                 "/api/v1/departments/", "/api/v1/categories/", "/api/v1/campaigns/",
                 "/api/v1/auth/token/"):
        assert path in paths, path
    assert not any(p.startswith("/open311/") for p in paths)  # Open311 is its own spec
    assert {"tokenAuth", "cookieAuth"} <= set(doc["components"]["securitySchemes"])


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(db):
    html = APIClient().get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.fixture
def api_schema(world, task_in, settings):
    # Some data to find: tasks in several states, in and out of the supervisor's grids.
    for state in (Status.REPORTED, Status.ASSIGNED, Status.SUBMITTED):
        task_in(state)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    # The app runs inside the test's transaction: keep Django from closing that connection at
    # the end of each request, as its own test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _with_id(case, pk: int):
    case.path_parameters = {**(case.path_parameters or {}), "id": pk}
    return case


# Schemathesis's own pytest integration does not run under pytest 9.2 (it reaches for a node
# attribute pytest removed), so the operations are driven through Hypothesis directly.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_schema(api_schema, world, mode):
    token, _ = Token.objects.get_or_create(user=world.supervisor.user)
    # Bodies as the schema describes them: schemathesis's WSGI transport asks for gzip but
    # does not decode it (HTTP clients do; the compression itself: tests/bench/test_compression).
    headers = {"Authorization": f"Token {token.key}", "Accept-Encoding": "identity"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    # Positive cases also run against rows that exist, so actions reach the services.
    known = {"tasks": Task, "grids": Grid, "roads": Road, "regions": Region, "officers": Officer,
             "departments": Department, "categories": Category}
    known = {name: list(model.objects.values_list("pk", flat=True)) for name, model in
             known.items()}

    for operation in operations:
        if mode == GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
            # Only a path id and Accept-Language to spoil: slow to generate, and a wrong id is
            # a plain 404 (tested elsewhere).
            continue

        strategy = operation.as_strategy(generation_mode=mode)
        ids = known.get(operation.path.split("/")[3], [])
        if mode == GenerationMode.POSITIVE and "{id}" in operation.path and ids:
            strategy = st.one_of(strategy, st.tuples(strategy, st.sampled_from(ids)).map(
                lambda pair: _with_id(*pair)))

        @given(case=strategy)
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            exercise()
        except Unsatisfiable:
            # Nothing to negate (no parameters or body): the positive run covers it.
            assert mode == GenerationMode.NEGATIVE, operation.label
