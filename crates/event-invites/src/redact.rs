//! Makes text from a server safe to put in an error: a server's message may
//! quote the input it rejected (a guest's name, email or phone), so quoted
//! values, anything with an `@` and long runs of digits are masked, and the
//! message is cut to a bounded length. Backtick-quoted names (fields,
//! parameters, ids such as `inv-…`) are kept: they say *what* was wrong.

/// The longest message kept, in characters.
const MAX_CHARS: usize = 300;

/// `text` with personal data masked.
pub(crate) fn server_text(text: &str) -> String {
    masked(text, &[])
}

/// `text` with personal data masked, and every value of `sent` (what the
/// request carried: a guest's name, email, external id) that it echoes.
pub(crate) fn masked(text: &str, sent: &[String]) -> String {
    let mut text = text.to_string();
    for value in sent
        .iter()
        .map(|v| v.trim())
        .filter(|v| v.chars().count() >= 2)
    {
        text = mask_every(&text, value);
    }
    let quoted = mask_quotes(&text);
    let words = quoted
        .split(' ')
        .map(|word| if word.contains('@') { "[email]" } else { word })
        .collect::<Vec<_>>()
        .join(" ");
    let words = mask_numbers(&words);
    if words.chars().count() > MAX_CHARS {
        let cut: String = words.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        words
    }
}

/// What a value the request carried becomes.
const REDACTED: &str = "[redacted]";

/// `text` with every occurrence of `value` masked: as given, and in any
/// ASCII case (a server may echo `lucy green` as `Lucy Green`). ASCII case
/// folding keeps every byte where it is, so the offsets found in the folded
/// text are the text's own, whatever else it holds; letters beyond ASCII
/// (`Ë`, `ë`) are compared as given.
fn mask_every(text: &str, value: &str) -> String {
    // One pass finds the value as given too (its folded form is the same),
    // so a value that `[redacted]` contains ("ed") is never found in a mask
    // made earlier.
    let mut text = text.to_string();
    let value = value.to_ascii_lowercase();
    let mut from = 0;
    // Search after each mask, so a value inside `[redacted]` ("red")
    // cannot match it again.
    while let Some(at) = text.to_ascii_lowercase()[from..].find(&value) {
        let at = from + at;
        text.replace_range(at..at + value.len(), REDACTED);
        from = at + REDACTED.len();
    }
    text
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

/// Every run of digits and phone punctuation (`+`, `-`, `.`, `(`, `)`,
/// spaces) that holds six or more digits becomes `[number]`: phone
/// numbers, however they are spaced. Backtick-quoted names and ids
/// (`eve-c60d5868-…`) are kept.
fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_backticks = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_backticks = !in_backticks;
        }
        let starts = !in_backticks && (c.is_ascii_digit() || c == '+' || c == '(');
        if starts {
            // The longest run of phone characters from here, ending on a digit.
            let mut end = i;
            let mut last_digit = None;
            let mut digits = 0;
            while end < chars.len()
                && (chars[end].is_ascii_digit() || " +-.()".contains(chars[end]))
            {
                if chars[end].is_ascii_digit() {
                    digits += 1;
                    last_digit = Some(end);
                }
                end += 1;
            }
            // A run glued to letters is part of a word (an id, a code).
            let glued = i > 0 && chars[i - 1].is_alphanumeric();
            if let Some(last) = last_digit
                && digits >= 6
                && !glued
            {
                out.push_str("[number]");
                i = last + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
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
        assert_eq!(
            server_text("call +1 555 867 5309) now"),
            "call [number]) now"
        );
        assert_eq!(server_text("(555) 867-5309."), "[number].");
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
    fn values_the_request_carried_are_masked_wherever_they_stand() {
        let sent = ["Zanzibar Quokkafield".to_string(), "crm-991".to_string()];
        assert_eq!(
            masked("Zanzibar Quokkafield (crm-991) is already invited", &sent),
            "[redacted] ([redacted]) is already invited"
        );
        assert_eq!(
            masked("ZANZIBAR QUOKKAFIELD is already invited", &sent),
            "[redacted] is already invited"
        );
    }

    #[test]
    fn apostrophes_in_words_open_no_quote_but_a_quote_after_a_word_does() {
        assert_eq!(
            server_text("we can't and won't invite 'Lucy'"),
            "we can't and won't invite '…'"
        );
        assert_eq!(
            server_text("name\"Lucy Green\" refused"),
            "name\"…\" refused"
        );
    }

    #[test]
    fn digits_glued_to_letters_are_a_code_and_stay() {
        assert_eq!(
            server_text("code ab1234567 for 1234567"),
            "code ab1234567 for [number]"
        );
    }

    #[test]
    fn numbers_in_backticks_are_names_and_stay() {
        assert_eq!(
            server_text("no booking `1234567`; call 020 7946 0958"),
            "no booking `1234567`; call [number]"
        );
    }

    #[test]
    fn a_message_of_exactly_the_limit_is_kept_whole() {
        let exact = "a".repeat(MAX_CHARS);
        assert_eq!(server_text(&exact), exact);
        let over = "a".repeat(MAX_CHARS + 1);
        assert_eq!(
            server_text(&over).chars().count(),
            MAX_CHARS + 1,
            "cut, with …"
        );
        assert!(server_text(&over).ends_with('…'));
    }

    #[test]
    fn a_value_echoed_in_another_case_is_masked_every_time() {
        // (what was sent, what the server echoed, what the error shows)
        let cases = [
            // Sent lowercase, echoed capitalised and shouting.
            (
                "zanzibar quokkafield",
                "Zanzibar Quokkafield, also ZANZIBAR QUOKKAFIELD",
                "[redacted], also [redacted]",
            ),
            // A value that the mask itself contains is masked once, not forever.
            ("red", "Red and RED", "[redacted] and [redacted]"),
            // Also when it is echoed as given, before another case.
            (
                "Ed",
                "Ed, ed and ED",
                "[redacted], [redacted] and [redacted]",
            ),
            // Beyond ASCII: the ASCII letters fold, other letters as given.
            ("zanzibar", "Zanzibar ist schön", "[redacted] ist schön"),
            (
                "Zoë Quokka",
                "Zoë Quokka arrives, zoë quokka too, ZOË QUOKKA not",
                "[redacted] arrives, [redacted] too, ZOË QUOKKA not",
            ),
        ];
        for (sent, echoed, shown) in cases {
            assert_eq!(masked(echoed, &[sent.to_string()]), shown, "{sent}");
        }
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "word ".repeat(200);
        let masked = server_text(&long);
        assert_eq!(masked.chars().count(), MAX_CHARS + 1);
        assert!(masked.ends_with('…'));
    }
}
