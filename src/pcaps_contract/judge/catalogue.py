"""What the gate judges, in report order: the schemathesis built-ins that apply to this API, then the project's."""

from __future__ import annotations

from pcaps_contract.judge import checks

# Not `max_response_time` (no budget in the contract), `response_headers_conformance`/`missing_required_header`
# (the spec declares no headers), `object_level_authorization` (needs a Web Fuzzing Commons peer file; our
# tenancy checks do that job), `allow_header_conformance` (the spec declares no `Allow` header for 405).
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
)
DISABLED_BUILTINS = (
    "response_headers_conformance",
    "missing_required_header",
    "object_level_authorization",
    "allow_header_conformance",
)
ALL_CHECKS = (*BUILTIN_CHECKS, *checks.CHECKS)

# What each built-in check expects, in words, for failures whose message has no `Expected:` line.
BUILTIN_EXPECTATIONS = {
    "not_a_server_error": "a status below 500",
    "status_code_conformance": "a status the spec documents for this operation",
    "content_type_conformance": "a Content-Type the spec documents for this response (application/json)",
    "response_schema_conformance": "a body valid against the spec's schema for this status",
    "negative_data_rejection": "a 4xx for a request that breaks the spec",
    "positive_data_acceptance": "a 2xx (or 401/403/404) for a request the spec allows",
    "ignored_auth": "401 or 403 for a request without valid credentials",
    "unsupported_method": "405 for a method the spec does not declare",
    "use_after_free": "404 for a resource once it was deleted",
    "ensure_resource_availability": "a resource just created to be found by the operations linked to it",
}
