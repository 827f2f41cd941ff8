//! Where and why a body did not decode, without quoting it: a small scan
//! of the JSON tokens finds the path of the value the parser stopped in.

use std::fmt::Write as _;

use crate::error::DecodeProblem;
use crate::redact;

/// Where and why `bytes` did not decode, without quoting them: the JSON
/// path is read from the bytes before the error's position, so this needs
/// no second, type-aware decode (and adds no per-type code to the build).
pub(crate) fn decode(bytes: &[u8], error: &serde_json::Error) -> DecodeProblem {
    let offset = offset(bytes, error.line(), error.column());
    let problem = serde_problem(error);
    let mut path = path_at(bytes, offset.unwrap_or(bytes.len()));
    if problem.starts_with("missing field") {
        // Reported at the object's end: the object is the place, not the
        // last key read in it.
        path.pop();
    }
    DecodeProblem {
        path: render_path(&path),
        problem,
        offset,
    }
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of the value that `bytes[..end]` stops inside: a small scan of
/// the JSON tokens (strings with escapes, brackets, commas, colons).
fn path_at(bytes: &[u8], end: usize) -> Vec<Step> {
    enum Frame {
        Object {
            key: Option<String>,
            expecting_key: bool,
        },
        Array {
            index: usize,
        },
    }
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    let end = end.min(bytes.len());
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < end && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expecting_key }) = frames.last_mut()
                    && *expecting_key
                    && j < end
                {
                    *key = Some(String::from_utf8_lossy(&bytes[start..j]).into_owned());
                    *expecting_key = false;
                }
                i = j + 1;
                continue;
            }
            b'{' => frames.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    frames
        .into_iter()
        .filter_map(|frame| match frame {
            Frame::Object { key, .. } => key.map(Step::Key),
            Frame::Array { index } => Some(Step::Index(index)),
        })
        .collect()
}

/// `data[3].amount_used`; `.` for the whole body.
fn render_path(path: &[Step]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Index(index) => {
                let _ = write!(text, "[{index}]");
            }
        }
    }
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

/// serde_json's message without the values it quotes and its position.
fn serde_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) if error.line() > 0 => &text[..at],
        _ => &text,
    };
    let rewritten = [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
        ("unknown variant `", "unknown variant"),
    ]
    .iter()
    .find_map(|(prefix, label)| {
        let rest = text.strip_prefix(prefix)?;
        Some(match rest.find(", expected ") {
            Some(at) => format!("{label}, expected {}", &rest[at + ", expected ".len()..]),
            None => label.to_string(),
        })
    })
    .unwrap_or_else(|| text.to_string());
    redact::server_text(&rewritten)
}

/// The byte offset of a 1-based line and column.
fn offset(bytes: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    Some((line_start + column.saturating_sub(1)).min(bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        id: String,
        seats: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct List {
        data: Vec<Row>,
    }

    fn problem(body: &str) -> DecodeProblem {
        let error = serde_json::from_str::<List>(body).unwrap_err();
        decode(body.as_bytes(), &error)
    }

    #[test]
    fn decode_problems_name_the_path_type_and_offset_not_the_value() {
        let body = r#"{"data":[{"id":"a","seats":1},{"id":"b","seats":"lucy@example.com"}]}"#;
        let p = problem(body);
        assert_eq!(p.path, "data[1].seats");
        assert_eq!(p.problem, "invalid type, expected u32");
        // Where the parser stopped: the closing quote of the bad value.
        let closing_quote = body.find("lucy").unwrap() + "lucy@example.com".len();
        assert_eq!(p.offset, Some(closing_quote));
        assert!(!p.to_string().contains("lucy"), "{p}");

        let p = problem(r#"{"data":[{"id":"a"}]}"#);
        assert_eq!(
            (p.path.as_str(), p.problem.as_str()),
            ("data[0]", "missing field `seats`")
        );

        let p = problem(r#"{"data":[{"id":"Lucy Gr"#);
        assert!(p.problem.starts_with("EOF while parsing"), "{p}");
        assert_eq!(p.path, "data[0].id");
        assert!(!p.to_string().contains("Lucy"), "{p}");

        // Escaped quotes and brackets inside strings do not confuse the scan.
        let body = r#"{"data":[{"id":"a\"]}[,","seats":2},{"id":"b","seats":-1}]}"#;
        let p = problem(body);
        assert_eq!(
            (p.path.as_str(), p.problem.as_str()),
            ("data[1].seats", "invalid value, expected u32")
        );

        // A map or list where something else belongs: serde stops at its
        // opening bracket, which is the place.
        let p = problem(r#"{"data": {"a": [1, 2]}}"#);
        assert_eq!(
            (p.path.as_str(), p.problem.as_str()),
            ("data", "invalid type, expected a sequence")
        );
        let p = problem(r#"{"data":[{"id":"a","seats":[7]}]}"#);
        assert_eq!(p.path, "data[0].seats");
        let p = problem(r#""just a string""#);
        assert_eq!(p.path, ".");
    }

    #[test]
    fn a_body_cut_inside_a_key_names_the_object_not_the_half_key() {
        let p = problem(r#"{"data":[{"id":"a","sea"#);
        assert_eq!(p.path, "data[0]", "the object, not the half key `sea`");
    }

    #[test]
    fn a_problem_without_a_position_keeps_its_words() {
        // From a `Value`: serde_json gives no line, so nothing is cut at a
        // " at line " that only the value contained.
        let error = serde_json::from_value::<u8>(serde_json::json!("soon at line 9")).unwrap_err();
        assert_eq!(error.line(), 0);
        assert_eq!(serde_problem(&error), "invalid type, expected u8");
    }

    #[test]
    fn offsets_count_bytes_across_lines() {
        assert_eq!(offset(b"ab\ncd", 2, 2), Some(4));
        assert_eq!(offset(b"ab", 0, 0), None);
        assert_eq!(offset(b"ab", 1, 99), Some(2));
    }
}
