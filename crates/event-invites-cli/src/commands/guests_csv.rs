//! Reads a guest list CSV (`name,email[,external_id,tags]`, tags separated
//! by `;`) into guests, reporting each bad row with its line number instead
//! of sending it: a missing or malformed email, a row with more columns
//! than the header, a line that is not UTF-8, a key seen earlier in the
//! file. A header that is not the expected one refuses the whole file.

use std::collections::HashMap;
use std::path::Path;

use event_invites::artsvp::{BulkKey, Guest};

/// The columns a guest list may have; `name` and `email` are required.
const COLUMNS: [&str; 4] = ["name", "email", "external_id", "tags"];

/// A row that was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The line in the file (1 is the header).
    pub line: u64,
    /// What is wrong (no values from the row).
    pub problem: String,
}

/// One guest from the file.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub guest: Guest,
}

/// What a file holds.
#[derive(Debug, Default)]
pub struct GuestList {
    pub rows: Vec<Row>,
    pub bad: Vec<BadRow>,
}

/// Reads `path`. Fails (sending nothing) when the file cannot be read or
/// its header is wrong.
pub fn read(path: &Path, key: BulkKey, delimiter: u8) -> Result<GuestList, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(file, key, delimiter).map_err(|e| format!("{}: {e}", path.display()))
}

/// Refuses a file whose header has no `delimiter` but another common one,
/// naming the flag that reads it.
fn check_delimiter(bytes: &[u8], delimiter: u8) -> Result<(), String> {
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    if header.contains(&delimiter) {
        return Ok(());
    }
    let (name, flag) = match () {
        () if header.contains(&b';') => ("semicolon", "';'"),
        () if header.contains(&b'\t') => ("tab", "tab"),
        () if header.contains(&b',') => ("comma", "','"),
        () => return Ok(()),
    };
    Err(format!(
        "line 1: the file looks {name}-separated: pass --delimiter {flag}"
    ))
}

/// Reads a guest list from any reader, its fields separated by `delimiter`.
pub fn parse(
    mut input: impl std::io::Read,
    key: BulkKey,
    delimiter: u8,
) -> Result<GuestList, String> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    check_delimiter(&bytes, delimiter)?;
    let lines = Lines::of(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(bytes.as_slice());
    let header = reader
        .byte_headers()
        .map_err(|e| format!("line 1: the header cannot be read: {e}"))?
        .clone();
    let columns = header_columns(&header)?;
    if key == BulkKey::ExternalId && !columns.contains_key("external_id") {
        return Err("line 1: deduping by external id needs an `external_id` column".to_string());
    }
    let mut list = GuestList::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = lines.at(reader.position().byte());
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| lines.at(p.byte()));
                list.bad.push(BadRow {
                    line,
                    problem: format!("unreadable CSV ({})", csv_problem(&e)),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| lines.at(p.byte()));
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line
        }
        match guest(&record, &columns).and_then(|guest| keyed(guest, key, line, &mut seen)) {
            Err(problem) => list.bad.push(BadRow { line, problem }),
            Ok(guest) => list.rows.push(Row { line, guest }),
        }
    }
    Ok(list)
}

/// Line numbers of byte offsets, counted here: the csv crate's own line
/// numbers do not count the blank lines it skips.
struct Lines<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn of(bytes: &'a [u8]) -> Self {
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self { bytes, newlines }
    }

    /// The line a record read from `byte` is on: a record's position is
    /// where reading began, before any blank lines the reader skipped.
    fn at(&self, byte: u64) -> u64 {
        let bytes = self.bytes;
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
            at += 1;
        }
        self.newlines.partition_point(|&nl| nl < at) as u64 + 1
    }
}

/// The guest, unless it has no key or the same key as an earlier line.
fn keyed(
    guest: Guest,
    key: BulkKey,
    line: u64,
    seen: &mut HashMap<String, u64>,
) -> Result<Guest, String> {
    let field = match key {
        BulkKey::ExternalId => "external_id",
        _ => "email",
    };
    let Some(k) = key.of(&guest, true) else {
        return Err(format!("no {field}"));
    };
    if let Some(first) = seen.get(&k) {
        return Err(format!("the same {field} as line {first}"));
    }
    seen.insert(k, line);
    Ok(guest)
}

/// The position of each known column; an unknown, repeated or missing
/// required column refuses the file.
fn header_columns(header: &csv::ByteRecord) -> Result<HashMap<&'static str, usize>, String> {
    let mut columns = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| format!("line 1: column {} of the header is not UTF-8", i + 1))?
            .trim_start_matches('\u{feff}')
            .trim()
            .to_ascii_lowercase();
        let Some(known) = COLUMNS.iter().find(|c| **c == name) else {
            return Err(format!(
                "line 1: unknown column {name:?}; the header must be name,email[,external_id,tags]"
            ));
        };
        if columns.insert(*known, i).is_some() {
            return Err(format!("line 1: the column {name:?} appears twice"));
        }
    }
    for required in ["name", "email"] {
        if !columns.contains_key(required) {
            return Err(format!(
                "line 1: no {required:?} column; the header must be name,email[,external_id,tags]"
            ));
        }
    }
    Ok(columns)
}

fn guest(record: &csv::ByteRecord, columns: &HashMap<&str, usize>) -> Result<Guest, String> {
    if record.len() > columns.len() {
        return Err(format!(
            "{} columns where the header has {}",
            record.len(),
            columns.len()
        ));
    }
    let field = |name: &str| -> Result<Option<String>, String> {
        let Some(&i) = columns.get(name) else {
            return Ok(None);
        };
        let Some(raw) = record.get(i) else {
            return Ok(None);
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| format!("the {name} column is not UTF-8"))?
            .trim();
        Ok((!text.is_empty()).then(|| text.to_string()))
    };
    let name = field("name")?;
    let email = field("email")?;
    let external_id = field("external_id")?;
    let tags: Vec<String> = field("tags")?
        .map(|t| {
            t.split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    match &email {
        None => return Err("no email".to_string()),
        Some(email) => check_email(email)?,
    }
    Ok(Guest {
        name,
        email,
        external_id,
        tags,
        ..Guest::default()
    })
}

/// A plausible address: one `@`, something before it, a dotted domain
/// after it, no spaces. (The server has the last word.)
fn check_email(email: &str) -> Result<(), String> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err("the email is not an address (expected name@domain.tld)".to_string())
    }
}

fn csv_problem(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8",
        csv::ErrorKind::UnequalLengths { .. } => "a different number of columns",
        _ => "malformed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_delimiter_is_named_with_the_flag_that_reads_it() {
        let semicolons = b"name;email\nAnn;ann@example.com\n";
        let err = parse(&semicolons[..], BulkKey::Email, b',').unwrap_err();
        assert_eq!(
            err,
            "line 1: the file looks semicolon-separated: pass --delimiter ';'"
        );
        let list = parse(&semicolons[..], BulkKey::Email, b';').unwrap();
        assert_eq!(list.rows.len(), 1);
        let tabs = b"name\temail\nAnn\tann@example.com\n";
        let err = parse(&tabs[..], BulkKey::Email, b',').unwrap_err();
        assert!(err.ends_with("pass --delimiter tab"), "{err}");
        assert_eq!(
            parse(&tabs[..], BulkKey::Email, b'\t').unwrap().rows.len(),
            1
        );
    }

    fn parse_str(text: &[u8]) -> Result<GuestList, String> {
        parse(text, BulkKey::Email, b',')
    }

    #[test]
    fn good_rows_become_guests_with_tags() {
        let list =
            parse_str(b"name,email,external_id,tags\nAnn Lee,ann@example.com,crm-1,vip; press\n")
                .unwrap();
        assert!(list.bad.is_empty(), "{:?}", list.bad);
        let guest = &list.rows[0].guest;
        assert_eq!(list.rows[0].line, 2);
        assert_eq!(guest.name.as_deref(), Some("Ann Lee"));
        assert_eq!(guest.external_id.as_deref(), Some("crm-1"));
        assert_eq!(guest.tags, ["vip", "press"]);
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_skipped() {
        let mut text = b"name,email\nAnn,ann@example.com\nBo,not-an-email\nCy,\n".to_vec();
        text.extend_from_slice(
            b"Di,di@example.com,extra\nEd,ED@Example.com \nAnn again, Ann@Example.COM\n",
        );
        text.extend_from_slice(b"Fi \xff\xfe,fi@example.com\n\nGus,gus@example.com\n");
        let list = parse_str(&text).unwrap();
        let bad: Vec<(u64, &str)> = list
            .bad
            .iter()
            .map(|b| (b.line, b.problem.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (3, "the email is not an address (expected name@domain.tld)"),
                (4, "no email"),
                (5, "3 columns where the header has 2"),
                (7, "the same email as line 2"),
                (8, "the name column is not UTF-8"),
            ]
        );
        let lines: Vec<u64> = list.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 6, 10]);
    }

    #[test]
    fn a_wrong_header_refuses_the_file() {
        for (text, says) in [
            (&b"name,mail\n"[..], "unknown column \"mail\""),
            (b"name,tags\n", "no \"email\" column"),
            (b"name,email,email\n", "appears twice"),
        ] {
            let err = parse_str(text).unwrap_err();
            assert!(err.contains(says), "{err}");
            assert!(err.starts_with("line 1:"), "{err}");
        }
        let err = parse(&b"name,email\n"[..], BulkKey::ExternalId, b',').unwrap_err();
        assert!(err.contains("external_id"), "{err}");
    }
}
