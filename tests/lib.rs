//! Helpers for the workspace-level tests: reading the vendors' docs kept in
//! the repository (`specs/vendor-docs/`) and turning their JSON examples
//! into fixtures.

use std::path::PathBuf;

use serde_json::Value;

/// Where the vendors' docs are kept, with their provenance.
pub fn vendor_docs() -> PathBuf {
    xtask::workspace_root().join("specs/vendor-docs")
}

/// Reads a file of the vendors' docs kept in the repository.
pub fn read_vendor_doc(name: &str) -> String {
    let path = vendor_docs().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The rows of `specs/vendor-docs/PROVENANCE.md`: file name and SHA-256.
pub fn vendor_doc_hashes() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(vendor_docs().join("PROVENANCE.md"))
        .expect("specs/vendor-docs/PROVENANCE.md");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | file | sha256 | copied | from |
            let (file, hash) = (cells.get(1)?, cells.get(2)?);
            (hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()))
                .then(|| (file.to_string(), hash.to_string()))
        })
        .collect()
}

/// One JSON example of a Markdown API reference.
#[derive(Debug, Clone)]
pub struct DocExample {
    /// The `## ` heading the example sits under, e.g. "Retrieve an event".
    pub heading: String,
    /// The fixture name: the heading in snake case, e.g. `retrieve_an_event`.
    pub name: String,
    /// The example, with the docs' `...` elisions removed and unclosed
    /// braces closed.
    pub value: Value,
}

/// Every ```` ```json ```` example of `markdown`, in order.
///
/// The docs elide fields with lines of `...`; those lines are dropped (with
/// the commas they leave dangling), and braces the docs forgot to close are
/// closed at the end.
pub fn doc_json_examples(markdown: &str) -> Vec<DocExample> {
    let mut examples = Vec::new();
    let mut heading = String::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("## ") {
            heading = h.trim().to_string();
        }
        if line.trim() != "```json" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.trim() != "```")
            .filter(|l| !matches!(l.trim(), "..." | "...,"))
            .collect();
        let mut text = drop_dangling_commas(&body.join("\n"));
        let unclosed = text
            .matches('{')
            .count()
            .saturating_sub(text.matches('}').count());
        text.push_str(&"}".repeat(unclosed));
        let value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("the docs' example under \"{heading}\" is not JSON even cleaned up: {e}\n{text}")
        });
        examples.push(DocExample {
            name: snake_case(&heading),
            heading: heading.clone(),
            value,
        });
    }
    examples
}

/// Removes commas that are followed (after whitespace) by `]` or `}`,
/// outside strings.
fn drop_dangling_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some(']' | '}') | None) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn snake_case(heading: &str) -> String {
    let mut out = String::new();
    for c in heading.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Checks that every field and value of `expected` is in `actual` (which may
/// have more fields). Timestamps compare as instants, since a typed client
/// may write `2022-01-01T13:00:00.000Z` back as `2022-01-01T13:00:00Z`.
/// Returns the JSON pointers of what is missing or different.
pub fn missing_fields(expected: &Value, actual: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    compare(expected, actual, String::new(), &mut missing);
    missing
}

fn compare(expected: &Value, actual: &Value, pointer: String, missing: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let child = format!("{pointer}/{key}");
                match a.get(key) {
                    Some(other) => compare(value, other, child, missing),
                    None => missing.push(child),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                compare(x, y, format!("{pointer}/{i}"), missing);
            }
        }
        (Value::String(e), Value::String(a)) if e != a => {
            let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            match (instant(e), instant(a)) {
                (Some(x), Some(y)) if x == y => {}
                _ => missing.push(format!("{pointer} ({e:?} became {a:?})")),
            }
        }
        (e, a) if e != a => missing.push(format!("{pointer} ({e} became {a})")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elisions_and_dangling_commas_are_removed() {
        let md = "## List all things\n```json\n{\n  \"data\": [\n    {\"a\": 1},\n    ...\n  ],\n  \"b\": \"x, ]\",\n  ...\n}\n```\n";
        let examples = doc_json_examples(md);
        assert_eq!(examples.len(), 1);
        assert_eq!(examples[0].name, "list_all_things");
        assert_eq!(examples[0].value, json!({"data": [{"a": 1}], "b": "x, ]"}));
    }

    #[test]
    fn an_unclosed_example_is_closed() {
        let md = "## Batch\n```json\n{\n  \"a\": {\"b\": 1},\n  \"c\": 2\n```\n";
        assert_eq!(
            doc_json_examples(md)[0].value,
            json!({"a": {"b": 1}, "c": 2})
        );
    }

    #[test]
    fn missing_fields_reports_lost_and_changed_values() {
        let expected =
            json!({"a": 1, "t": "2022-01-01T13:00:00.000Z", "n": {"x": [1, 2]}, "gone": true});
        let actual = json!({"a": 1, "t": "2022-01-01T13:00:00Z", "n": {"x": [1, 3]}, "extra": 0});
        assert_eq!(
            missing_fields(&expected, &actual),
            ["/n/x/1 (2 became 3)", "/gone"]
        );
    }
}
