//! Text from files and bundles shown to people. A release's file names, the strings a bundle or
//! a declaration carries, and the messages built from them reach the terminal, so each is
//! escaped where it is shown: a name holding a newline cannot start a forged `error:` line, an
//! escape sequence cannot clear the screen or hide a line, and a bidirectional override cannot
//! make `exe.txt` read as `txt.exe`. Machine formats (JSON, SARIF, JUnit) keep the names as they
//! are, in their own escaping.
//!
//! Names that are the same text in different Unicode normal forms (`café` as one precomposed
//! `é`, or as `e` and a combining accent) are different files on Linux and one on macOS, so they
//! are compared in NFC where that matters ([`nfc`]).

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization as _;

/// Whether `c` must not reach a terminal as it is: control characters (C0, DEL, C1), bidi
/// embeddings, overrides, isolates and marks, and the invisible separators and joiners that can
/// hide one name inside another.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with every unsafe character written as an escape (`\n`, `\t`, `\u{1b}`, `\u{202e}`).
/// Text without one is returned as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` in Unicode Normalization Form C.
pub fn nfc(text: &str) -> Cow<'_, str> {
    if unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// A count as people read it: `1234567` -> `1,234,567`. -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(158_016), "158,016");
        assert_eq!(thousands(70_553_706_496), "70,553,706,496");
    }

    #[test]
    fn control_bidi_and_invisible_characters_are_escaped() {
        assert_eq!(escape("model.bin"), "model.bin");
        assert_eq!(escape("café/é.bin"), "café/é.bin");
        assert_eq!(escape("a\nerror:   evil.bin"), "a\\nerror:   evil.bin");
        assert_eq!(escape("\x1b[2Jx"), "\\u{1b}[2Jx");
        assert_eq!(escape("exe\u{202e}txt.bin"), "exe\\u{202e}txt.bin");
        assert_eq!(escape("a\u{200b}b\tc\r"), "a\\u{200b}b\\tc\\r");
        assert_eq!(escape("\u{85}"), "\\u{85}");
    }

    #[test]
    fn nfc_joins_the_two_spellings_of_a_name() {
        let composed = "caf\u{e9}";
        let decomposed = "cafe\u{301}";
        assert_ne!(composed, decomposed);
        assert_eq!(nfc(composed), nfc(decomposed));
        assert!(matches!(nfc(composed), Cow::Borrowed(_)));
    }
}
