//! Redis's glob matcher (`stringmatchlen` in Redis's `util.c`), on bytes.
//!
//! PSUBSCRIBE patterns must select exactly the channels Redis would select, so this is a
//! faithful port of Redis's matcher rather than a general glob library, quirks included:
//!
//! | pattern | matches |
//! |---|---|
//! | `*` | any run of bytes, but **not the empty channel** (a non-empty pattern never matches an empty subject) |
//! | `?` | any one byte |
//! | `[abc]`, `[^abc]` | one byte in (not in) the set; `[]` matches nothing, `[^]` any byte |
//! | `[a-z]` | one byte in the range; a reversed range `[z-a]` is the same range |
//! | `\x` | the byte `x`, also inside brackets; a trailing `\` is a literal backslash |
//! | `[abc` (unterminated) | the set runs to the end of the pattern |
//!
//! A range is whatever three bytes `x-y` follow, even `[a-]`, whose range ends at `]`
//! (so that bracket does not close the set). One deliberate difference: ranges compare
//! bytes as unsigned. Redis compares C `char`s, signed on x86 and unsigned on ARM, so
//! Redis itself disagrees with itself on ranges that contain a byte of 0x80 or more.
//!
//! Like Redis, a pattern with more than [`MAX_NESTING`] separate `*`s matches nothing,
//! which bounds the recursion depth; and once the rest of a pattern after a `*` has failed
//! at every position of the subject, earlier `*`s do not retry longer matches (they could
//! only start the rest later), which keeps the worst case polynomial.

/// The deepest chain of `*`s the matcher follows, as in Redis.
pub const MAX_NESTING: usize = 1000;

/// Whether `subject` matches the glob `pattern` under Redis's rules (see the module docs).
pub fn glob_match(pattern: &[u8], subject: &[u8]) -> bool {
    let mut give_up = false;
    match_at(pattern, subject, &mut give_up, 0)
}

/// Matches `pattern` against `subject`, both already advanced past what matched so far.
/// `give_up` is set once the tail after some `*` failed everywhere, see the module docs.
fn match_at(pattern: &[u8], subject: &[u8], give_up: &mut bool, nesting: usize) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let (mut p, mut s) = (0, 0);
    while p < pattern.len() && s < subject.len() {
        match pattern[p] {
            b'*' => {
                while pattern.get(p + 1) == Some(&b'*') {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                return match_star_tail(&pattern[p + 1..], &subject[s..], give_up, nesting);
            }
            b'?' => {}
            b'[' => {
                let (matched, last) = match_class(pattern, p, subject[s]);
                if !matched {
                    return false;
                }
                p = last;
            }
            b'\\' if p + 1 < pattern.len() => {
                p += 1;
                if pattern[p] != subject[s] {
                    return false;
                }
            }
            literal => {
                if literal != subject[s] {
                    return false;
                }
            }
        }
        p += 1;
        s += 1;
        if s == subject.len() {
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            break;
        }
    }
    p == pattern.len() && s == subject.len()
}

/// Tries the pattern after a `*` at every non-empty suffix of the subject.
fn match_star_tail(tail: &[u8], subject: &[u8], give_up: &mut bool, nesting: usize) -> bool {
    for start in 0..subject.len() {
        if match_at(tail, &subject[start..], give_up, nesting + 1) {
            return true;
        }
        if *give_up {
            return false;
        }
    }
    *give_up = true;
    false
}

/// Matches `byte` against the bracket set opening at `pattern[open]`. Returns whether it
/// matched and the index of the set's last pattern byte: its `]`, or the pattern's last
/// byte when the set is unterminated.
fn match_class(pattern: &[u8], open: usize, byte: u8) -> (bool, usize) {
    let mut i = open + 1;
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    loop {
        let rest = pattern.len() - i;
        if rest == 0 {
            i -= 1;
            break;
        }
        match pattern[i] {
            b'\\' if rest >= 2 => {
                i += 1;
                matched |= pattern[i] == byte;
            }
            b']' => break,
            low if rest >= 3 && pattern[i + 1] == b'-' => {
                let high = pattern[i + 2];
                let (low, high) = if low <= high {
                    (low, high)
                } else {
                    (high, low)
                };
                matched |= (low..=high).contains(&byte);
                i += 2;
            }
            member => matched |= member == byte,
        }
        i += 1;
    }
    (matched != negated, i)
}
