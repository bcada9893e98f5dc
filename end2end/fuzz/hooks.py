"""Checks Tidemark adds to the API fuzzing: every error answers in the one documented shape."""

import schemathesis


@schemathesis.check
def error_shape(ctx, response, case):
    """A 4xx or 5xx from the API is JSON: {"error": {"code": str, "message": str, "field": str|null}}."""
    if response.status_code < 400:
        return None
    kind = response.headers.get("content-type", [""])
    kind = kind[0] if isinstance(kind, list) else kind
    if not kind.startswith("application/json"):
        raise AssertionError(f"a {response.status_code} answered with {kind or 'no content type'}, not JSON")
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    ok = (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and error.get("message")
        and (error.get("field") is None or isinstance(error.get("field"), str))
    )
    if not ok:
        raise AssertionError(f"a {response.status_code} error is not in the documented shape: {body!r}")
    return None
