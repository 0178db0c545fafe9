//! Numbers in messages. Rust prints an `f64` in full decimal (`1e300` as 301 digits), so
//! every message that shows a user's number goes through [`num`]: the shortest round-trip
//! form when it is short, scientific notation otherwise.

/// `x` in its shortest round-trip form if `|x|` lies in `[1e-4, 1e15)` (or is 0, inf,
/// NaN), else in scientific notation: `0.1`, `2500`, `1e300`, `2.5e-12`.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Longest number written out in full in a message; longer ones are shortened.
const LONG_NUMBER: usize = 24;

/// `msg` with every decimal number longer than 24 characters (`1e300` printed by `{}`
/// as 301 digits, `1e-300` as 302) replaced by its [`num`] form. Numbers inside words
/// (`p123…`) are left alone. [`crate::error::SpecError::new`] applies it, so every input
/// error is short whatever a message's `format!` did; 64-bit integers (20 digits) stay exact.
pub fn shorten_numbers(msg: &str) -> String {
    let b = msg.as_bytes();
    let mut out = String::with_capacity(msg.len());
    let mut i = 0;
    let mut copied = 0;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !word(b[i - 1])) {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            let end_ok = j == b.len() || !word(b[j]);
            if end_ok
                && j - start > LONG_NUMBER
                && let Ok(x) = msg[start..j].parse::<f64>()
            {
                out.push_str(&msg[copied..start]);
                out.push_str(&num(x));
                copied = j;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.push_str(&msg[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::{num, shorten_numbers};

    #[test]
    fn short_forms() {
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(2500.0), "2500");
        assert_eq!(num(-3.0), "-3");
        assert_eq!(num(1e300), "1e300");
        assert_eq!(num(-1e300), "-1e300");
        assert_eq!(num(2.5e-12), "2.5e-12");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(f64::INFINITY), "inf");
        assert!(num(f64::MAX).len() < 30);
        assert!(num(f64::MIN_POSITIVE).len() < 30);
    }

    #[test]
    fn long_numbers_shortened() {
        let m = format!("{} ms is {} steps, seed {}", 1e300, -1e-300, u64::MAX);
        assert_eq!(
            shorten_numbers(&m),
            format!("1e300 ms is -1e-300 steps, seed {}", u64::MAX)
        );
        let w = format!("name p{} stays", "1".repeat(40));
        assert_eq!(shorten_numbers(&w), w);
        assert_eq!(shorten_numbers("x = 0.1, y = 2"), "x = 0.1, y = 2");
        assert_eq!(shorten_numbers("ünïcode 1"), "ünïcode 1");
    }
}
