//! What a chat line may hold: the one sanitizing rule every line goes through before anyone
//! hears it. In order:
//!
//! 1. **Refused** (the line is not said): a control character (Unicode `Cc`: C0 U+0000–U+001F
//!    with tab and newline, DEL U+007F, C1 U+0080–U+009F; and U+2028, U+2029, which break
//!    lines) → [`ChatError::ControlCharacter`]; a bidirectional embedding, override or isolate
//!    (U+202A–U+202E, U+2066–U+2069), which would reorder what others read, e.g. make a line
//!    end in another player's words → [`ChatError::BidiControl`].
//! 2. **Stripped** (removed wherever they are): invisible characters that only serve to hide
//!    or fake text — the bidirectional marks U+200E, U+200F, U+061C (no scope, typed by some
//!    right-to-left keyboards, so dropped rather than refused), zero width space U+200B, word
//!    joiner and invisible operators U+2060–U+2064, deprecated format controls U+206A–U+206F,
//!    byte order mark U+FEFF, soft hyphen U+00AD, combining grapheme joiner U+034F, Hangul
//!    fillers U+115F, U+1160, U+3164, U+FFA0, Khmer inherent vowels U+17B4, U+17B5, Mongolian
//!    vowel separator U+180E, interlinear annotations U+FFF9–U+FFFB, musical format controls
//!    U+1D173–U+1D17A and tag characters U+E0000–U+E007F (which carry invisible ASCII).
//! 3. **Joiners** (U+200D zero width joiner, U+200C zero width non-joiner) are kept only
//!    between two characters that are neither ASCII, whitespace nor joiners: where emoji
//!    sequences (👩‍🚀) and Arabic, Persian and Indic shaping need them. Anywhere else — inside a
//!    Latin word (`ad‍min`), at an end, doubled — they are stripped.
//! 4. **Trimmed**: whitespace at both ends.
//! 5. Nothing left → [`ChatError::Empty`]; more than `max_chars` characters (Unicode scalar
//!    values) → [`ChatError::TooLong`].

use super::error::ChatError;

/// The line as others will read it, or why it is refused.
pub fn sanitize(text: &str, max_chars: u16) -> Result<String, ChatError> {
    if let Some(refused) = text.chars().find_map(refusal) {
        return Err(refused);
    }
    let visible: Vec<char> = text.chars().filter(|&c| !is_stripped(c)).collect();
    let mut line = String::with_capacity(text.len());
    for (i, &c) in visible.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| visible.get(j));
        if !is_joiner(c) || joins(before, visible.get(i + 1)) {
            line.push(c);
        }
    }
    let line = line.trim();
    if line.is_empty() {
        return Err(ChatError::Empty);
    }
    let chars = line.chars().count();
    if chars > usize::from(max_chars) {
        return Err(ChatError::TooLong { chars, max: max_chars });
    }
    Ok(line.to_owned())
}

/// The refusal a character causes, if any (step 1).
fn refusal(c: char) -> Option<ChatError> {
    match c {
        '\u{2028}' | '\u{2029}' => Some(ChatError::ControlCharacter(c)),
        c if c.is_control() => Some(ChatError::ControlCharacter(c)),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some(ChatError::BidiControl(c)),
        _ => None,
    }
}

/// True for the invisible characters removed wherever they are (step 2).
fn is_stripped(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Zero width joiner and non-joiner (step 3).
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// True when a joiner between `before` and `after` joins two characters that need it.
fn joins(before: Option<&char>, after: Option<&char>) -> bool {
    let joinable =
        |c: Option<&char>| c.is_some_and(|&c| !c.is_ascii() && !c.is_whitespace() && !is_joiner(c));
    joinable(before) && joinable(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u16 = 200;

    fn said(text: &str) -> String {
        sanitize(text, MAX).unwrap_or_else(|e| panic!("{text:?} refused: {e}"))
    }

    #[test]
    fn plain_lines_pass_unchanged_but_trimmed() {
        assert_eq!(said("hello there"), "hello there");
        assert_eq!(said("  salut à tous  "), "salut à tous");
        assert_eq!(said("\u{3000}こんにちは\u{00A0}"), "こんにちは", "any Unicode whitespace is trimmed");
        assert_eq!(said("a  b"), "a  b", "inner whitespace stays");
        assert_eq!(said("مرحبا بالجميع"), "مرحبا بالجميع", "right-to-left text needs no control");
    }

    #[test]
    fn every_control_character_is_refused() {
        for c in
            ['\0', '\t', '\n', '\r', '\u{1B}', '\u{7F}', '\u{80}', '\u{85}', '\u{9F}', '\u{2028}', '\u{2029}']
        {
            let line = format!("hi{c}there");
            assert_eq!(sanitize(&line, MAX), Err(ChatError::ControlCharacter(c)), "U+{:04X}", u32::from(c));
        }
        assert_eq!(sanitize("ok\n", MAX), Err(ChatError::ControlCharacter('\n')), "even at the end");
        assert_eq!(ChatError::ControlCharacter('\t').code(), 143);
    }

    #[test]
    fn bidi_embeddings_overrides_and_isolates_are_refused() {
        let spoof = "gg \u{202E}txt.exe";
        assert_eq!(sanitize(spoof, MAX), Err(ChatError::BidiControl('\u{202E}')));
        for c in
            ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
        {
            assert_eq!(sanitize(&format!("a{c}b"), MAX), Err(ChatError::BidiControl(c)));
        }
        assert_eq!(ChatError::BidiControl('\u{202E}').code(), 144);
    }

    #[test]
    fn invisible_characters_are_stripped() {
        assert_eq!(said("ad\u{200B}min"), "admin", "zero width space");
        assert_eq!(said("\u{FEFF}hello\u{2060}"), "hello", "byte order mark, word joiner");
        assert_eq!(said("so\u{00AD}ft"), "soft", "soft hyphen");
        assert_eq!(said("\u{200F}שלום\u{200E}"), "שלום", "bidirectional marks are dropped, not refused");
        assert_eq!(said("a\u{061C}b\u{180E}c\u{3164}d"), "abcd");
        assert_eq!(said("flag\u{E0067}\u{E0062}\u{E007F}"), "flag", "tag characters carry hidden ASCII");
        assert_eq!(said("x\u{1D173}y\u{FFF9}z"), "xyz");
    }

    #[test]
    fn joiners_stay_only_where_scripts_and_emoji_need_them() {
        let astronaut = "👩\u{200D}🚀";
        assert_eq!(said(astronaut), astronaut, "an emoji sequence keeps its joiner");
        let persian = "می\u{200C}خواهم";
        assert_eq!(said(persian), persian, "Persian keeps its non-joiner");
        assert_eq!(said("ad\u{200D}min"), "admin", "no joiner inside a Latin word");
        assert_eq!(said("\u{200D}👩"), "👩", "nor at an end");
        assert_eq!(said("👩\u{200D}\u{200D}🚀"), "👩🚀", "nor doubled");
        assert_eq!(said("👩 \u{200D} 🚀"), "👩  🚀", "nor beside whitespace");
    }

    #[test]
    fn nothing_left_is_empty() {
        assert_eq!(sanitize("", MAX), Err(ChatError::Empty));
        assert_eq!(sanitize("   ", MAX), Err(ChatError::Empty));
        assert_eq!(sanitize("\u{200B}\u{2060} \u{FEFF}", MAX), Err(ChatError::Empty));
        assert_eq!(sanitize(" \u{200D} ", MAX), Err(ChatError::Empty));
        assert_eq!(ChatError::Empty.code(), 142);
    }

    #[test]
    fn the_length_limit_counts_characters_of_the_sanitized_line() {
        assert_eq!(sanitize(&"é".repeat(5), 5).as_deref(), Ok("ééééé"), "5 characters, 10 bytes");
        assert_eq!(sanitize(&"é".repeat(6), 5), Err(ChatError::TooLong { chars: 6, max: 5 }));
        let padded = format!("  {}\u{200B}\u{200B}  ", "a".repeat(5));
        assert_eq!(sanitize(&padded, 5).as_deref(), Ok("aaaaa"), "stripped and trimmed before counting");
        assert_eq!(ChatError::TooLong { chars: 6, max: 5 }.code(), 140);
    }

    #[test]
    fn a_refusal_wins_over_everything_stripped() {
        assert_eq!(sanitize("\u{200B}\u{202E}", MAX), Err(ChatError::BidiControl('\u{202E}')));
        assert_eq!(sanitize(&format!("{}\t", "a".repeat(300)), MAX), Err(ChatError::ControlCharacter('\t')));
    }
}
