use super::*;

/// A small prepared document: one operation, one response schema, one
/// enum, one request schema.
fn base() -> Value {
    serde_json::json!({
        "openapi": "3.0.3",
        "paths": {
            "/invites": {
                "get": {
                    "operationId": "list_invites",
                    "parameters": [
                        {"in": "query", "name": "limit", "required": false, "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"content": {"application/json": {"schema": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Invite"}
                    }}}}}
                },
                "post": {
                    "operationId": "create_invite",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewInvite"}}}},
                    "responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invite"}}}}}
                }
            }
        },
        "components": {"schemas": {
            "Invite": {"type": "object", "required": ["id", "status"], "properties": {
                "id": {"type": "string"},
                "status": {"$ref": "#/components/schemas/Status"},
                "seats": {"type": "integer"},
                "created_at": {"type": "string", "format": "date-time"}
            }},
            "Status": {"type": "string", "enum": ["pending", "accepted"]},
            "NewInvite": {"type": "object", "required": ["email"], "properties": {
                "email": {"type": "string"}
            }}
        }}
    })
}

fn report(edit: impl FnOnce(&mut Value)) -> String {
    let mut new = base();
    edit(&mut new);
    text("Fixture", &diff(&base(), &new))
}

#[test]
fn no_change_is_said_plainly() {
    insta::assert_snapshot!(report(|_| {}), @"Fixture: no change to what the generator is fed");
}

#[test]
fn fields_added_removed_retyped_and_made_nullable() {
    let added = report(|d| {
        d["components"]["schemas"]["Invite"]["properties"]["seat_number"] =
            serde_json::json!({"type": "string", "nullable": true});
    });
    insta::assert_snapshot!("field_added", added);
    let removed = report(|d| {
        d["components"]["schemas"]["Invite"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("seats");
    });
    insta::assert_snapshot!("field_removed", removed);
    let retyped = report(|d| {
        d["components"]["schemas"]["Invite"]["properties"]["seats"] =
            serde_json::json!({"type": "string"});
    });
    insta::assert_snapshot!("field_retyped", retyped);
    let nullable = report(|d| {
        d["components"]["schemas"]["Invite"]["properties"]["created_at"]["nullable"] = true.into();
    });
    insta::assert_snapshot!("field_made_nullable", nullable);
}

#[test]
fn enum_values_added_and_removed() {
    let added = report(|d| {
        d["components"]["schemas"]["Status"]["enum"] =
            serde_json::json!(["pending", "accepted", "expired"]);
    });
    insta::assert_snapshot!("enum_value_added", added);
    let removed = report(|d| {
        d["components"]["schemas"]["Status"]["enum"] = serde_json::json!(["pending"]);
    });
    insta::assert_snapshot!("enum_value_removed", removed);
}

#[test]
fn operations_added_and_removed_and_parameters_made_required() {
    let added = report(|d| {
        d["paths"]["/invites/{id}"] = serde_json::json!({"delete": {
            "operationId": "delete_invite", "responses": {"204": {}}
        }});
    });
    insta::assert_snapshot!("operation_added", added);
    let removed = report(|d| {
        d["paths"]["/invites"]
            .as_object_mut()
            .unwrap()
            .remove("post");
    });
    insta::assert_snapshot!("operation_removed", removed);
    let required = report(|d| {
        d["paths"]["/invites"]["get"]["parameters"][0]["required"] = true.into();
    });
    insta::assert_snapshot!("parameter_made_required", required);
    let request = report(|d| {
        d["components"]["schemas"]["NewInvite"]["properties"]["event"] =
            serde_json::json!({"type": "string"});
        d["components"]["schemas"]["NewInvite"]["required"] = serde_json::json!(["email", "event"]);
    });
    insta::assert_snapshot!("request_field_added_required", request);
}

#[test]
fn markdown_is_a_table_ready_for_the_changelog() {
    let mut new = base();
    new["components"]["schemas"]["Status"]["enum"] =
        serde_json::json!(["pending", "accepted", "expired"]);
    insta::assert_snapshot!(markdown("Fixture", "fixture-api", &diff(&base(), &new)));
}
