//! Which ids can go in a URL path. The generated clients percent-encode an
//! id, but two things survive encoding and would reach another route: a
//! `.` or `..` segment (URL parsing removes it, also when encoded) and `\`
//! (which URL parsing reads as `/`). Those, and the empty id, are refused
//! before anything is sent.

use crate::error::ErrorKind;

/// Checks an id bound for a path segment.
pub(crate) fn check(what: &str, id: &str) -> Result<(), ErrorKind> {
    let problem = if id.is_empty() {
        "is empty"
    } else if id == "." || id == ".." {
        "is a `.` or `..` path segment, which would address another route"
    } else if id.contains('\\') {
        "contains `\\`, which URLs read as `/`"
    } else {
        return Ok(());
    };
    Err(ErrorKind::InvalidRequest {
        message: format!("the {what} {id:?} {problem}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_would_change_the_route_are_refused() {
        for bad in ["", ".", "..", "a\\b"] {
            assert!(check("id", bad).is_err(), "{bad:?}");
        }
        for good in ["inv-1", "a b", "a/b", "a?b#c", "..a", "a..b", "ünï", "%2F"] {
            assert!(check("id", good).is_ok(), "{good:?}");
        }
    }
}
