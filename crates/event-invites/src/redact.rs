//! Makes text from a server safe to put in an error: a server's message may
//! quote the input it rejected (a guest's name, email or phone), so quoted
//! values, anything with an `@` and long runs of digits are masked, and the
//! message is cut to a bounded length. Backtick-quoted names (fields,
//! parameters, ids such as `inv-…`) are kept: they say *what* was wrong.

/// The longest message kept, in characters.
const MAX_CHARS: usize = 300;

/// `text` with personal data masked.
pub(crate) fn server_text(text: &str) -> String {
    let quoted = mask_quotes(text);
    let words = quoted
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "[email]".to_string()
            } else {
                mask_numbers(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if words.chars().count() > MAX_CHARS {
        let cut: String = words.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        words
    }
}

/// `'…'` and `"…"` for every single- or double-quoted value.
fn mask_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let opens = (c == '"' || c == '\'')
            // An apostrophe inside a word ("can't") opens nothing.
            && !(c == '\'' && text[..i].chars().next_back().is_some_and(char::is_alphanumeric));
        if opens && text[i + 1..].contains(c) {
            for (_, inner) in chars.by_ref() {
                if inner == c {
                    break;
                }
            }
            out.push(c);
            out.push('…');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// A word with six or more digits (a phone number, a card, a date with its
/// digits) becomes `[number]`, keeping trailing punctuation.
fn mask_numbers(word: &str) -> String {
    let digits = word.chars().filter(char::is_ascii_digit).count();
    // Backtick-quoted words are names and ids (`eve-c60d5868-…`).
    if digits < 6 || word.contains('`') {
        return word.to_string();
    }
    let trailing: String = word
        .chars()
        .rev()
        .take_while(|c| matches!(c, '.' | ',' | ';' | ':' | ')'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("[number]{trailing}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_emails_and_numbers_are_masked() {
        assert_eq!(
            server_text("email 'lucy@example.com' is taken"),
            "email '…' is taken"
        );
        assert_eq!(
            server_text(r#"name "Lucy Green" too long"#),
            r#"name "…" too long"#
        );
        assert_eq!(
            server_text("invite for lucy@example.com exists"),
            "invite for [email] exists"
        );
        assert_eq!(
            server_text("phone +1-555-123-4567, rejected"),
            "phone [number], rejected"
        );
    }

    #[test]
    fn names_and_short_numbers_stay() {
        assert_eq!(
            server_text("no object has the id `inv-never`"),
            "no object has the id `inv-never`"
        );
        assert_eq!(
            server_text("limit must be between 1 and 100; can't be 0"),
            "limit must be between 1 and 100; can't be 0"
        );
        assert_eq!(server_text("unmatched ' quote"), "unmatched ' quote");
        assert_eq!(
            server_text("no event `eve-c60d5868-c4cf-4b55`"),
            "no event `eve-c60d5868-c4cf-4b55`"
        );
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "word ".repeat(200);
        let masked = server_text(&long);
        assert_eq!(masked.chars().count(), MAX_CHARS + 1);
        assert!(masked.ends_with('…'));
    }
}
