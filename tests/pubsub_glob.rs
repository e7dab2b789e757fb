//! The PSUBSCRIBE glob matcher follows Redis's rules: a table of the documented cases and
//! Redis's corner cases, and a property test against a simple backtracking matcher
//! written here from the rules.

use isolde::pubsub::{glob_match, MAX_NESTING};
use proptest::prelude::*;

/// (pattern, subject, matches)
const CASES: &[(&str, &str, bool)] = &[
    // `?` is one byte.
    ("h?llo", "hello", true),
    ("h?llo", "hallo", true),
    ("h?llo", "hxllo", true),
    ("h?llo", "hllo", false),
    ("h?llo", "heello", false),
    // `*` is any run of bytes, the empty one included.
    ("h*llo", "hllo", true),
    ("h*llo", "heeeello", true),
    ("h*llo", "hello world", false),
    ("*", "anything", true),
    ("*", "x", true),
    ("**", "x", true),
    ("a*b*c", "aXbYc", true),
    ("a*b*c", "abc", true),
    ("a*b*c", "acb", false),
    ("news.*", "news.art.figurative", true),
    ("news.*", "news.", true),
    ("news.*", "new.", false),
    ("*.*", ".", true),
    // `[ae]` is one byte of the set.
    ("h[ae]llo", "hello", true),
    ("h[ae]llo", "hallo", true),
    ("h[ae]llo", "hillo", false),
    // `[^e]` is one byte outside the set.
    ("h[^e]llo", "hallo", true),
    ("h[^e]llo", "hbllo", true),
    ("h[^e]llo", "hello", false),
    // `[a-b]` is one byte of the range; a reversed range is the same range.
    ("h[a-b]llo", "hallo", true),
    ("h[a-b]llo", "hbllo", true),
    ("h[a-b]llo", "hcllo", false),
    ("h[b-a]llo", "hallo", true),
    ("h[z-a]llo", "hmllo", true),
    ("h[^a-b]llo", "hallo", false),
    ("h[^a-b]llo", "hcllo", true),
    ("[a-cx-z]", "y", true),
    ("[a-cx-z]", "m", false),
    // `\` escapes the next byte, inside brackets too.
    ("h\\*llo", "h*llo", true),
    ("h\\*llo", "hello", false),
    ("h\\?llo", "h?llo", true),
    ("h\\?llo", "hello", false),
    ("\\[a]", "[a]", true),
    ("\\\\", "\\", true),
    ("[\\]]", "]", true),
    ("[\\^a]", "^", true),
    ("[\\-]", "-", true),
    ("[a\\-z]", "m", false),
    ("[a\\-z]", "-", true),
    // A trailing backslash is a literal backslash.
    ("a\\", "a\\", true),
    ("a\\", "a", false),
    ("[a\\", "\\", true),
    // The empty pattern matches only the empty channel; a non-empty pattern, even `*`,
    // never matches the empty channel (Redis's loop needs a byte to look at).
    ("", "", true),
    ("", "a", false),
    ("*", "", false),
    ("?", "", false),
    // An unterminated bracket runs to the end of the pattern.
    ("[abc", "a", true),
    ("[abc", "c", true),
    ("[abc", "d", false),
    ("[abc", "ab", false),
    ("h[ae", "he", true),
    ("[", "[", false),
    ("[^", "x", true),
    ("[^a", "b", true),
    ("[^a", "a", false),
    // Empty sets, and a `]` right after `[` closes the set at once.
    ("[]", "]", false),
    ("[]a]", "]", false),
    ("[]a]", "a]", false),
    ("[^]", "x", true),
    ("[^]a", "xa", true),
    // A range is any `x-y`, even when `y` is the `]`: `[a-]` has no closing bracket.
    ("[a-]", "_", true),
    ("[a-]", "b", false),
    ("[-a]", "-", true),
    ("[a-]x", "_", true),
    // Bytes, not characters.
    ("caf\u{e9}", "caf\u{e9}", true),
    ("caf?", "caf\u{e9}", false),
    ("caf??", "caf\u{e9}", true),
];

#[test]
fn glob_matches_the_documented_redis_cases() {
    for &(pattern, subject, expected) in CASES {
        assert_eq!(
            glob_match(pattern.as_bytes(), subject.as_bytes()),
            expected,
            "pattern {pattern:?} against {subject:?}"
        );
    }
}

#[test]
fn glob_matches_arbitrary_bytes() {
    assert!(glob_match(b"a?c", &[b'a', 0, b'c']));
    assert!(glob_match(&[b'[', 0x80, b'-', 0xff, b']'], &[0x90]));
    assert!(!glob_match(&[b'[', 0x80, b'-', 0xff, b']'], b"a"));
}

#[test]
fn glob_gives_up_beyond_the_nesting_limit_as_redis_does() {
    let deep = "a*".repeat(MAX_NESTING + 2);
    let subject = "a".repeat(MAX_NESTING + 2);
    assert!(!glob_match(deep.as_bytes(), subject.as_bytes()));
    let shallow = "a*".repeat(100);
    assert!(glob_match(shallow.as_bytes(), "a".repeat(100).as_bytes()));
}

#[test]
fn glob_is_fast_on_a_pathological_pattern() {
    let pattern = "*a".repeat(30) + "b";
    let subject = "a".repeat(200);
    let started = std::time::Instant::now();
    assert!(!glob_match(pattern.as_bytes(), subject.as_bytes()));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// A pattern element, as Redis's rules read it.
#[derive(Debug)]
enum Token {
    Star,
    AnyByte,
    Byte(u8),
    /// Inclusive byte ranges; single bytes are ranges of one.
    Set {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
}

/// Splits a pattern into tokens. A set runs to its `]` or to the end of the pattern.
fn tokenize(pattern: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let remaining = pattern.len() - i;
        match pattern[i] {
            b'*' => tokens.push(Token::Star),
            b'?' => tokens.push(Token::AnyByte),
            b'\\' if remaining >= 2 => {
                i += 1;
                tokens.push(Token::Byte(pattern[i]));
            }
            b'[' => {
                let (token, end) = tokenize_set(pattern, i + 1);
                tokens.push(token);
                i = end;
                continue;
            }
            byte => tokens.push(Token::Byte(byte)),
        }
        i += 1;
    }
    tokens
}

/// Reads a set starting after its `[`; returns it and the index after it.
fn tokenize_set(pattern: &[u8], mut i: usize) -> (Token, usize) {
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    while i < pattern.len() {
        let remaining = pattern.len() - i;
        let byte = pattern[i];
        if byte == b'\\' && remaining >= 2 {
            ranges.push((pattern[i + 1], pattern[i + 1]));
            i += 2;
        } else if byte == b']' {
            return (Token::Set { negated, ranges }, i + 1);
        } else if remaining >= 3 && pattern[i + 1] == b'-' {
            let other = pattern[i + 2];
            ranges.push((byte.min(other), byte.max(other)));
            i += 3;
        } else {
            ranges.push((byte, byte));
            i += 1;
        }
    }
    (Token::Set { negated, ranges }, i)
}

/// Plain backtracking: try every split for each star.
fn backtrack(tokens: &[Token], subject: &[u8]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return subject.is_empty();
    };
    if let Token::Star = first {
        return (0..=subject.len()).any(|skip| backtrack(rest, &subject[skip..]));
    }
    let Some((&byte, tail)) = subject.split_first() else {
        return false;
    };
    let matches = match first {
        Token::AnyByte => true,
        Token::Byte(expected) => *expected == byte,
        Token::Set { negated, ranges } => {
            ranges
                .iter()
                .any(|&(low, high)| (low..=high).contains(&byte))
                != *negated
        }
        Token::Star => unreachable!("handled above"),
    };
    matches && backtrack(rest, tail)
}

/// Redis's rule: an empty subject matches only the empty pattern.
fn reference_match(pattern: &[u8], subject: &[u8]) -> bool {
    if subject.is_empty() {
        return pattern.is_empty();
    }
    backtrack(&tokenize(pattern), subject)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn glob_agrees_with_a_backtracking_reference(
        pattern in proptest::collection::vec(proptest::sample::select(b"ab*?[]^-\\".to_vec()), 0..10),
        subject in proptest::collection::vec(proptest::sample::select(b"abc]^-\\[*".to_vec()), 0..8),
    ) {
        prop_assert_eq!(
            glob_match(&pattern, &subject),
            reference_match(&pattern, &subject),
            "pattern {:?} subject {:?}",
            String::from_utf8_lossy(&pattern),
            String::from_utf8_lossy(&subject)
        );
    }
}
