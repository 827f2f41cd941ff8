"""Schemathesis hooks for the fake ARTSVP (loaded by `cargo xtask conformance`).

Generated creates name random resources, so nearly all of them would be 404
and never reach the create logic. Where a generated body names its resource
with a string, the string becomes a seeded event's id (seed 42). Only
string values are replaced, so a body generated to be invalid (a wrong
type, a missing field, an unknown key) stays invalid.
"""

import schemathesis

SEEDED_EVENT = "eve-a07bdb59-00ec-2661-4560-fe24b27550b5"


@schemathesis.hook
def map_body(ctx, body):
    operation = ctx.operation
    if (
        operation is not None
        and operation.method.upper() == "POST"
        and operation.path == "/invites"
        and isinstance(body, dict)
    ):
        for key in ("resource_id", "resource"):
            if isinstance(body.get(key), str):
                body[key] = SEEDED_EVENT
        if "resource_type" in body and body.get("resource_type") == "collection":
            body["resource_type"] = "event"
    return body
