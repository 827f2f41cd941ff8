//! A table of rows in creation order, found by id (or code) in O(log n),
//! so that a page is found from its cursor directly (no scan from the
//! start), however deep into a list it is.

use std::collections::{BTreeMap, HashMap};

/// Rows in creation order, found by id (or code) in O(log n).
#[derive(Debug)]
pub(crate) struct Table<T> {
    rows: BTreeMap<u64, T>,
    /// id → position. Deleted rows keep their position, so a cursor naming a
    /// deleted row still marks a place in the list.
    ids: HashMap<String, u64>,
    /// Other names of a row (codes), → id.
    aliases: HashMap<String, String>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            ids: HashMap::new(),
            aliases: HashMap::new(),
        }
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    Start,
    After(String),
    Before(String),
}

/// A page of rows, and the cursor to go on in the same direction.
#[derive(Debug)]
pub(crate) struct Page<'a, T> {
    pub(crate) rows: Vec<&'a T>,
    pub(crate) has_more: bool,
    pub(crate) last_id: Option<String>,
}

/// A cursor that names no row, ever.
#[derive(Debug)]
pub(crate) struct UnknownCursor(pub(crate) String);

impl<T> Table<T> {
    /// Room for `n` more rows without rehashing the indexes.
    pub(crate) fn reserve(&mut self, n: usize, with_aliases: bool) {
        self.ids.reserve(n);
        if with_aliases {
            self.aliases.reserve(n);
        }
    }

    pub(crate) fn insert(&mut self, seq: u64, id: String, alias: Option<String>, row: T) {
        if let Some(alias) = alias {
            self.aliases.insert(alias, id.clone());
        }
        self.ids.insert(id, seq);
        self.rows.insert(seq, row);
    }

    fn seq_of(&self, id_or_alias: &str) -> Option<u64> {
        let id = self
            .aliases
            .get(id_or_alias)
            .map_or(id_or_alias, String::as_str);
        self.ids.get(id).copied()
    }

    pub(crate) fn get(&self, id_or_alias: &str) -> Option<&T> {
        self.rows.get(&self.seq_of(id_or_alias)?)
    }

    pub(crate) fn get_mut(&mut self, id_or_alias: &str) -> Option<&mut T> {
        let seq = self.seq_of(id_or_alias)?;
        self.rows.get_mut(&seq)
    }

    pub(crate) fn remove(&mut self, id_or_alias: &str) -> Option<T> {
        let seq = self.seq_of(id_or_alias)?;
        self.rows.remove(&seq)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.rows.values()
    }

    /// Up to `limit` rows that `keep` accepts, from `cursor` on. Forward:
    /// `last_id` is the page's last row; backward (`Before`): the rows just
    /// before the cursor, oldest first, and `last_id` is the page's first row.
    pub(crate) fn page(
        &self,
        cursor: &Cursor,
        limit: usize,
        keep: impl Fn(&T) -> bool,
        id_of: impl Fn(&T) -> &str,
    ) -> Result<Page<'_, T>, UnknownCursor> {
        let seq = |id: &str| self.seq_of(id).ok_or_else(|| UnknownCursor(id.to_string()));
        let (mut rows, backward): (Vec<&T>, bool) = match cursor {
            Cursor::Start => (
                self.rows
                    .values()
                    .filter(|r| keep(r))
                    .take(limit + 1)
                    .collect(),
                false,
            ),
            Cursor::After(id) => {
                let from = seq(id)?;
                let rows = self
                    .rows
                    .range(from + 1..)
                    .map(|(_, r)| r)
                    .filter(|r| keep(r))
                    .take(limit + 1)
                    .collect();
                (rows, false)
            }
            Cursor::Before(id) => {
                let to = seq(id)?;
                let rows = self
                    .rows
                    .range(..to)
                    .rev()
                    .map(|(_, r)| r)
                    .filter(|r| keep(r))
                    .take(limit + 1)
                    .collect();
                (rows, true)
            }
        };
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        if backward {
            rows.reverse();
        }
        let edge = if backward { rows.first() } else { rows.last() };
        Ok(Page {
            last_id: edge.map(|r| id_of(r).to_string()),
            rows,
            has_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: u64) -> Table<String> {
        let mut t = Table::default();
        for i in 1..=n {
            t.insert(i, format!("id{i}"), None, format!("id{i}"));
        }
        t
    }

    fn ids<'a>(page: &Page<'a, String>) -> Vec<&'a str> {
        page.rows.iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn pages_go_forward_and_back_from_a_cursor() {
        let t = table(7);
        fn id(s: &String) -> &str {
            s
        }
        let first = t.page(&Cursor::Start, 3, |_| true, id).unwrap();
        assert_eq!(ids(&first), ["id1", "id2", "id3"]);
        assert!(first.has_more);
        assert_eq!(first.last_id.as_deref(), Some("id3"));
        let last = t
            .page(&Cursor::After("id6".into()), 3, |_| true, id)
            .unwrap();
        assert_eq!(ids(&last), ["id7"]);
        assert!(!last.has_more);
        let back = t
            .page(&Cursor::Before("id6".into()), 3, |_| true, id)
            .unwrap();
        assert_eq!(ids(&back), ["id3", "id4", "id5"]);
        assert!(back.has_more);
        assert_eq!(
            back.last_id.as_deref(),
            Some("id3"),
            "the cursor to keep going back"
        );
        let start = t
            .page(&Cursor::Before("id2".into()), 3, |_| true, id)
            .unwrap();
        assert_eq!(ids(&start), ["id1"]);
        assert!(!start.has_more);
    }

    #[test]
    fn a_deleted_row_still_marks_its_place() {
        let mut t = table(4);
        t.remove("id2");
        let page = t
            .page(&Cursor::After("id2".into()), 10, |_| true, |s| s.as_str())
            .unwrap();
        assert_eq!(ids(&page), ["id3", "id4"]);
        assert!(
            t.page(&Cursor::After("nope".into()), 1, |_| true, |s| s.as_str())
                .is_err()
        );
    }

    #[test]
    fn filters_apply_within_the_page() {
        let t = table(10);
        let even = |s: &String| s.trim_start_matches("id").parse::<u32>().unwrap() % 2 == 0;
        let page = t.page(&Cursor::Start, 2, even, |s| s.as_str()).unwrap();
        assert_eq!(ids(&page), ["id2", "id4"]);
        assert!(page.has_more);
    }
}
