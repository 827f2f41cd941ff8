use super::*;
use serde_json::json;

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("fixture is valid YAML")
}

/// Normalizes a document whose only content is `schema` under
/// `components.schemas.S`, and returns the rewritten schema.
fn normalize_schema(schema: &str) -> Result<Value, Error> {
    let mut doc = yaml(&format!(
        "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n\
         components:\n  schemas:\n    S:\n{}",
        indent(schema, 6)
    ));
    normalize(&mut doc, Path::new("fixture.yaml"))?;
    Ok(doc["components"]["schemas"]["S"].clone())
}

fn indent(text: &str, by: usize) -> String {
    text.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(by)))
        .collect()
}

#[test]
fn version_becomes_3_0_3() {
    let mut doc = yaml("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
    normalize(&mut doc, Path::new("f.yaml")).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
}

#[test]
fn unknown_version_is_an_error() {
    let mut doc = yaml("openapi: 2.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
    let err = normalize(&mut doc, Path::new("f.yaml")).unwrap_err();
    assert_eq!(err.pointer.as_deref(), Some("/openapi"));
}

#[test]
fn any_of_type_and_null_becomes_nullable() {
    let s = normalize_schema(
        "anyOf:\n  - type: string\n    format: date-time\n  - type: 'null'\ntitle: Last Seen",
    )
    .unwrap();
    assert_eq!(
        s,
        json!({"title": "Last Seen", "nullable": true, "type": "string", "format": "date-time"})
    );
}

#[test]
fn one_of_ref_and_null_becomes_nullable_all_of() {
    let s =
        normalize_schema("oneOf:\n  - $ref: '#/components/schemas/T'\n  - type: 'null'").unwrap();
    assert_eq!(
        s,
        json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/T"}]})
    );
}

#[test]
fn any_of_with_several_non_null_variants_keeps_them() {
    let s =
        normalize_schema("anyOf:\n  - type: string\n  - type: integer\n  - type: 'null'").unwrap();
    assert_eq!(
        s,
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
    );
}

#[test]
fn any_of_only_null_is_an_error() {
    let err = normalize_schema("anyOf:\n  - type: 'null'").unwrap_err();
    assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/anyOf"));
}

#[test]
fn conflicting_keyword_in_null_union_is_an_error() {
    let err = normalize_schema(
        "format: date\nanyOf:\n  - type: string\n    format: uuid\n  - type: 'null'",
    )
    .unwrap_err();
    assert!(err.message.contains("`format`"), "{err}");
}

#[test]
fn type_list_with_null_becomes_nullable() {
    let s = normalize_schema("type: [integer, 'null']\nminimum: 0").unwrap();
    assert_eq!(
        s,
        json!({"type": "integer", "minimum": 0, "nullable": true})
    );
}

#[test]
fn type_list_of_two_types_is_an_error() {
    let err = normalize_schema("type: [integer, string]").unwrap_err();
    assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/type"));
    assert!(err.message.contains("2 non-null types"), "{err}");
}

#[test]
fn bare_null_type_is_an_error() {
    let err = normalize_schema("type: 'null'").unwrap_err();
    assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/type"));
}

#[test]
fn const_becomes_one_value_enum() {
    let s = normalize_schema("type: string\nconst: list").unwrap();
    assert_eq!(s, json!({"type": "string", "enum": ["list"]}));
}

#[test]
fn const_beside_enum_is_an_error() {
    let err = normalize_schema("const: a\nenum: [a, b]").unwrap_err();
    assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/const"));
}

#[test]
fn schema_examples_become_first_example() {
    let s = normalize_schema("type: string\nexamples: [first, second]").unwrap();
    assert_eq!(s, json!({"type": "string", "example": "first"}));
}

#[test]
fn media_type_examples_map_stays() {
    let mut doc = yaml(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      \
         operationId: x\n      responses:\n        '200':\n          description: ok\n          \
         content:\n            application/json:\n              schema:\n                \
         type: string\n                examples: [a]\n              examples:\n                \
         one: {value: a}\n",
    );
    normalize(&mut doc, Path::new("f.yaml")).unwrap();
    let media = &doc["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"];
    assert_eq!(media["examples"], json!({"one": {"value": "a"}}));
    assert_eq!(media["schema"], json!({"type": "string", "example": "a"}));
}

#[test]
fn numeric_exclusive_bounds_become_boolean_form() {
    let s = normalize_schema("type: integer\nexclusiveMinimum: 0\nexclusiveMaximum: 101").unwrap();
    assert_eq!(
        s,
        json!({"type": "integer", "exclusiveMinimum": true, "exclusiveMaximum": true,
               "minimum": 0, "maximum": 101})
    );
}

#[test]
fn exclusive_bound_beside_inclusive_one_is_an_error() {
    let err = normalize_schema("type: integer\nminimum: 1\nexclusiveMinimum: 0").unwrap_err();
    assert_eq!(
        err.pointer.as_deref(),
        Some("/components/schemas/S/exclusiveMinimum")
    );
}

#[test]
fn ref_with_siblings_goes_under_all_of() {
    let s = normalize_schema("$ref: '#/components/schemas/T'\ndefault: pending").unwrap();
    assert_eq!(
        s,
        json!({"default": "pending", "allOf": [{"$ref": "#/components/schemas/T"}]})
    );
}

#[test]
fn plain_ref_is_left_alone() {
    let s = normalize_schema("$ref: '#/components/schemas/T'").unwrap();
    assert_eq!(s, json!({"$ref": "#/components/schemas/T"}));
}

#[test]
fn nested_schemas_are_rewritten() {
    let s = normalize_schema(
        "type: object\nproperties:\n  a:\n    type: array\n    items:\n      \
         anyOf: [{type: string}, {type: integer}]\n  b:\n    type: [string, 'null']\n\
         additionalProperties:\n  const: 1",
    )
    .unwrap();
    assert_eq!(
        s["properties"]["b"],
        json!({"type": "string", "nullable": true})
    );
    assert_eq!(s["additionalProperties"], json!({"enum": [1]}));
    assert_eq!(
        s["properties"]["a"]["items"],
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    );
}

#[test]
fn untranslatable_keyword_is_an_error_with_its_pointer() {
    let err = normalize_schema(
        "type: object\nproperties:\n  t:\n    type: array\n    prefixItems: [{type: string}]",
    )
    .unwrap_err();
    assert_eq!(
        err.pointer.as_deref(),
        Some("/components/schemas/S/properties/t/prefixItems")
    );
    assert_eq!(err.file, Path::new("fixture.yaml"));
}

#[test]
fn boolean_schema_is_an_error() {
    let err = normalize_schema("type: object\nproperties:\n  x: true").unwrap_err();
    assert_eq!(
        err.pointer.as_deref(),
        Some("/components/schemas/S/properties/x")
    );
}

#[test]
fn webhooks_are_an_error() {
    let mut doc = yaml("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks: {}\n");
    let err = normalize(&mut doc, Path::new("f.yaml")).unwrap_err();
    assert_eq!(err.pointer.as_deref(), Some("/webhooks"));
}

#[test]
fn parameter_and_header_schemas_are_rewritten() {
    let mut doc = yaml(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x/{id}:\n    \
         parameters:\n      - {name: id, in: path, required: true, schema: {type: [string, 'null']}}\n    \
         get:\n      operationId: x\n      parameters:\n        - name: q\n          in: query\n          \
         schema: {anyOf: [{type: integer}, {type: 'null'}]}\n      responses:\n        '200':\n          \
         description: ok\n          headers:\n            X-N: {schema: {const: 1}}\n",
    );
    normalize(&mut doc, Path::new("f.yaml")).unwrap();
    let item = &doc["paths"]["/x/{id}"];
    assert_eq!(
        item["parameters"][0]["schema"],
        json!({"type": "string", "nullable": true})
    );
    assert_eq!(
        item["get"]["parameters"][0]["schema"],
        json!({"nullable": true, "type": "integer"})
    );
    assert_eq!(
        item["get"]["responses"]["200"]["headers"]["X-N"]["schema"],
        json!({"enum": [1]})
    );
}

#[test]
fn repeated_enum_values_are_dropped_with_a_warning() {
    let mut doc = yaml(
        "components:\n  schemas:\n    CountryCodeSimple:\n      type: string\n      \
         enum: ['1', '44', '1', '61']\n",
    );
    let warnings = dedupe_enums(&mut doc, Path::new("f.yaml"));
    assert_eq!(
        doc["components"]["schemas"]["CountryCodeSimple"]["enum"],
        json!(["1", "44", "61"])
    );
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].schema, "CountryCodeSimple");
    assert_eq!(warnings[0].value, "\"1\"");
    assert_eq!(
        warnings[0].pointer,
        "/components/schemas/CountryCodeSimple/enum"
    );
    assert!(warnings[0].to_string().contains("CountryCodeSimple"));
}

#[test]
fn enums_without_repeats_give_no_warning() {
    let mut doc = yaml("a:\n  enum: [x, y]\n  items: {enum: [1, 2]}\n");
    assert!(dedupe_enums(&mut doc, Path::new("f.yaml")).is_empty());
}
