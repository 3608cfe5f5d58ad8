//! The name policy: which character names a new player may take, and the form they are stored in.
//!
//! A name is taken in Unicode NFKC form (so a fullwidth `Ａ` is `A`, and `e` + U+0301 is `é`) and
//! must then be 1..=32 bytes of letters and digits (any script), with single spaces, `-`, `_`, `.`
//! or `'` between them: it starts and ends with a letter or digit and never holds two separators
//! in a row. Invisible, formatting and control characters (U+200B, U+202E, U+2028, the Hangul
//! fillers, ...) and combining marks that compose with nothing are refused. Names are unique
//! without regard to case or Unicode form (`store::name_key`): `Bob` and `BOB` are one account.
//! Names stored before this policy keep working: the policy applies to new names only.

use unicode_normalization::UnicodeNormalization as _;

/// Longest name in bytes (the wire's limit, `net::protocol::MAX_NAME_LEN`).
pub const MAX_NAME_BYTES: usize = net::protocol::MAX_NAME_LEN;

/// Characters allowed between letters and digits.
const SEPARATORS: &[char] = &[' ', '-', '_', '.', '\''];

/// Alphabetic characters that draw nothing.
const INVISIBLE_LETTERS: &[char] = &['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'];

/// A name as presented at login, in the form it is looked up and stored in (NFKC). Only names
/// that pass the old minimal rule (non-empty, no control characters, no surrounding spaces) get
/// this far; whether a new character may take it is [`check_new`].
pub fn normalize(presented: &str) -> Result<String, String> {
    let name: String = presented.nfkc().collect();
    if name.is_empty() || name.trim() != name || name.chars().any(char::is_control) {
        return Err("a name must be 1–32 printable characters without surrounding spaces".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!("a name must be at most {MAX_NAME_BYTES} bytes (after Unicode NFKC)"));
    }
    Ok(name)
}

/// Checks the policy for a new character's name (already [`normalize`]d).
pub fn check_new(name: &str) -> Result<(), String> {
    let mut previous_separator = true; // no separator first
    for c in name.chars() {
        let separator = SEPARATORS.contains(&c);
        if separator && previous_separator {
            return Err(format!("{c:?} may only stand alone between letters or digits"));
        }
        if !separator && !is_visible_alphanumeric(c) {
            return Err(format!("{:?} (U+{:04X}) is not allowed in a name", c, u32::from(c)));
        }
        previous_separator = separator;
    }
    if previous_separator {
        return Err("a name must end with a letter or digit".into());
    }
    Ok(())
}

fn is_visible_alphanumeric(c: char) -> bool {
    c.is_alphanumeric() && !INVISIBLE_LETTERS.contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_name(s: &str) -> Result<String, String> {
        let name = normalize(s)?;
        check_new(&name).map(|()| name)
    }

    #[test]
    fn ordinary_names_in_any_script_pass() {
        for ok in ["Bob", "Zoë", "Jean-Luc", "O'Neil", "Mr X", "j.r.r", "李小龙", "Дмитрий", "player_42", "7"]
        {
            assert_eq!(new_name(ok).as_deref(), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn names_are_taken_in_nfkc_form() {
        assert_eq!(new_name("Zoe\u{301}").unwrap(), "Zoé");
        assert_eq!(new_name("Ｂｏｂ").unwrap(), "Bob");
    }

    #[test]
    fn invisible_formatting_and_stray_marks_are_refused() {
        for bad in [
            "\u{200B}",
            "\u{200B}\u{200B}",
            "a\u{200B}b",
            "\u{301}",
            "\u{301}\u{301}",
            "admin\u{202E}",
            "a\u{2028}b",
            "\u{3164}",
            "a\u{3164}",
            "a\u{FEFF}",
            "a\u{200D}b",
        ] {
            assert!(new_name(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn separators_stand_alone_between_letters() {
        for bad in
            ["-bob", "bob-", "bo--b", "bo  b", "mr. x", "bob.", "' bob", " bob", "", "a\tb", "a@b", "a/b"]
        {
            assert!(new_name(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn length_counts_bytes_after_normalization() {
        assert!(new_name(&"a".repeat(32)).is_ok());
        assert!(new_name(&"a".repeat(33)).is_err());
        // U+FDFA expands to 18 characters (33 bytes) under NFKC.
        assert!(normalize("\u{FDFA}").is_err());
    }
}
