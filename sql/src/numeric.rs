//! NUMERIC: an exact fixed-point decimal.
//!
//! A value is `mantissa / 10^scale` with a 128-bit mantissa, so up to 38 significant
//! digits, and the scale (digits after the point) is kept as PostgreSQL keeps a NUMERIC's
//! display scale: `1.50 + 1` is `2.50`, a product adds the scales, a quotient gets
//! [`DIVISION_SCALE`] significant digits or more, counted as PostgreSQL counts them (see
//! [`Decimal::checked_div`]). Results that need more than 38 digits
//! are an error (22003), never rounded silently. A value coerced to a declared
//! `NUMERIC(p, s)` is rounded to scale `s` (half away from zero; a negative `s` rounds
//! to a multiple of 10^-s) and must then be below 10^(p-s) in absolute value
//! ([`Decimal::round_to`], [`Decimal::abs_below_power_of_ten`]), as in PostgreSQL 15.

use std::cmp::Ordering;
use std::fmt;

/// The largest scale, and the largest number of digits.
pub const MAX_DIGITS: u32 = 38;
/// The significant digits a quotient gets at least (PostgreSQL's
/// `NUMERIC_MIN_SIG_DIGITS`).
pub const DIVISION_SCALE: u32 = 16;

/// PostgreSQL stores a NUMERIC as base-10000 digits, 4 decimal digits each, aligned on
/// the point; the scale of a quotient is counted in those.
const BASE_DIGITS: i64 = 4;

/// An exact decimal number.
#[derive(Clone, Copy, Debug)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Decimal {
    /// `mantissa / 10^scale`; None if the scale is above [`MAX_DIGITS`].
    pub fn new(mantissa: i128, scale: u32) -> Option<Decimal> {
        const LIMIT: u128 = 10u128.pow(MAX_DIGITS);
        (scale <= MAX_DIGITS && mantissa.unsigned_abs() < LIMIT)
            .then_some(Decimal { mantissa, scale })
    }

    /// An integer.
    pub fn from_i64(v: i64) -> Decimal {
        Decimal {
            mantissa: v as i128,
            scale: 0,
        }
    }

    /// Digits after the point.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Parses `[-+]digits[.digits][e[-+]digits]`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let w = Written::split(text)?;
        let mut mantissa: i128 = 0;
        for c in w.digits() {
            mantissa = mantissa.checked_mul(10)?.checked_add((c - b'0') as i128)?;
        }
        let mut scale = w.frac.len() as i64 - w.exp as i64;
        if scale < 0 {
            mantissa = mantissa.checked_mul(pow10(u32::try_from(-scale).ok()?)?)?;
            scale = 0;
        }
        let d = Decimal::new(
            if w.neg { -mantissa } else { mantissa },
            u32::try_from(scale).ok()?,
        )?;
        Some(d)
    }

    /// Whether `text` is a number as [`Decimal::parse`] reads them, whether or not a
    /// decimal can hold it.
    pub fn is_well_formed(text: &str) -> bool {
        Written::split(text).is_some()
    }

    /// Parses as [`Decimal::parse`] does, but rounded half away from zero to `places`
    /// digits after the point (to a multiple of 10^-places if negative, at scale 0)
    /// before the value is built: text with more digits than a value holds still reads
    /// as the declared `NUMERIC(p, s)` it is coerced to keeps it, as in PostgreSQL
    /// (`'1e-39'::numeric(4,4)` is `0.0000`). None for text that does not parse or
    /// whose rounded value is beyond [`MAX_DIGITS`] digits.
    pub fn parse_rounded(text: &str, places: i32) -> Option<Decimal> {
        let w = Written::split(text)?;
        let digits: Vec<u8> = w.digits().collect();
        // The digits kept: those before the point and `places` after it.
        let kept = w.int.len() as i64 + i64::from(w.exp) + i64::from(places);
        let cut = usize::try_from(kept.clamp(0, digits.len() as i64)).ok()?;
        let mut mantissa: i128 = 0;
        for &c in &digits[..cut] {
            mantissa = mantissa.checked_mul(10)?.checked_add((c - b'0') as i128)?;
        }
        // The first digit cut off decides the rounding (none when it lies before them).
        if kept >= 0 && digits.get(cut).is_some_and(|&c| c >= b'5') {
            mantissa = mantissa.checked_add(1)?;
        }
        // Fewer digits than `places` after the point: the missing ones are zeros.
        let missing = u32::try_from((kept - cut as i64).max(0)).ok()?;
        mantissa = mantissa.checked_mul(pow10(missing)?)?;
        let (mantissa, scale) = match u32::try_from(places) {
            Ok(scale) => (mantissa, scale),
            Err(_) => (mantissa.checked_mul(pow10(places.unsigned_abs())?)?, 0),
        };
        Decimal::new(if w.neg { -mantissa } else { mantissa }, scale)
    }

    /// The nearest f64.
    pub fn to_f64(&self) -> f64 {
        // Both operands exact (a mantissa below 2^53, a power of ten up to 1e22): one
        // division, one rounding. Otherwise the digits are read as text is, which rounds
        // once too, where converting the mantissa first would round twice.
        const EXACT: u128 = 1 << f64::MANTISSA_DIGITS;
        if self.mantissa.unsigned_abs() <= EXACT && self.scale <= 22 {
            return self.mantissa as f64 / 10f64.powi(self.scale as i32);
        }
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The nearest decimal to `f`, at up to 15 significant digits (PostgreSQL's
    /// `DBL_DIG`); None for NaN/inf, and for a value with more digits than a decimal
    /// holds (see [`Decimal::from_f64_rounded`]).
    pub fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        Decimal::parse(&format!("{f:.14e}")).map(|d| d.normalized())
    }

    /// [`Decimal::from_f64`] rounded to `places` digits after the point as it is read
    /// ([`Decimal::parse_rounded`]): for a declared `NUMERIC(p, s)`, which holds
    /// `1e-300` as zero.
    pub fn from_f64_rounded(f: f64, places: i32) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        Decimal::parse_rounded(&format!("{f:.14e}"), places)
    }

    /// The integer part if the value is whole and fits in i64.
    pub fn to_i64_exact(&self) -> Option<i64> {
        let n = self.normalized();
        (n.scale == 0)
            .then(|| i64::try_from(n.mantissa).ok())
            .flatten()
    }

    /// Rounded (half away from zero) to an i64.
    pub fn round_to_i64(&self) -> Option<i64> {
        i64::try_from(self.rescale(0)?.mantissa).ok()
    }

    /// The same value with `scale` digits after the point, rounding half away from zero.
    pub fn rescale(&self, scale: u32) -> Option<Decimal> {
        match scale.cmp(&self.scale) {
            Ordering::Equal => Some(*self),
            Ordering::Greater => Decimal::new(
                self.mantissa.checked_mul(pow10(scale - self.scale)?)?,
                scale,
            ),
            Ordering::Less => {
                let div = pow10(self.scale - scale)?;
                let q = self.mantissa / div;
                let r = self.mantissa % div;
                // Unsigned: twice a remainder of a 10^38 divisor overflows i128.
                let q = if r.unsigned_abs() * 2 >= div.unsigned_abs() {
                    q + self.mantissa.signum()
                } else {
                    q
                };
                Decimal::new(q, scale)
            }
        }
    }

    /// Rounded half away from zero to `places` digits after the point; a negative
    /// `places` rounds to a multiple of 10^-places, at scale 0 (`12345` to -3 places is
    /// `12000`). None when the result has more than [`MAX_DIGITS`] digits.
    pub fn round_to(&self, places: i32) -> Option<Decimal> {
        if let Ok(scale) = u32::try_from(places) {
            return self.rescale(scale);
        }
        let digits = places.unsigned_abs();
        // The unit in terms of the mantissa: 10^(digits + scale).
        let Some(unit) = digits.checked_add(self.scale).and_then(pow10) else {
            // A unit above every value there is: half of it is too.
            return Some(Decimal::from_i64(0));
        };
        let (q, r) = (self.mantissa / unit, self.mantissa % unit);
        let q = if r.unsigned_abs() * 2 >= unit.unsigned_abs() {
            q + self.mantissa.signum()
        } else {
            q
        };
        Decimal::new(q.checked_mul(pow10(digits)?)?, 0)
    }

    /// True if `|self| < 10^exponent` (`exponent` may be negative or above
    /// [`MAX_DIGITS`]).
    pub fn abs_below_power_of_ten(&self, exponent: i64) -> bool {
        let shifted = exponent + self.scale as i64;
        match u32::try_from(shifted) {
            Ok(n) => pow10(n).is_none_or(|limit| self.mantissa.abs() < limit),
            // Below 10^-scale only zero is.
            Err(_) => self.mantissa == 0,
        }
    }

    /// The integral part, rounded toward zero, at scale 0 (`-1.7` -> `-1`).
    pub fn truncated(&self) -> Decimal {
        Decimal {
            mantissa: self.mantissa / 10i128.pow(self.scale),
            scale: 0,
        }
    }

    /// The value cut toward zero to `places` digits after the point, at that scale; a
    /// negative `places` cuts digits before the point, at scale 0 (PostgreSQL's
    /// `trunc(1234.5, -2)` is 1200).
    pub fn truncated_to(&self, places: i64) -> Option<Decimal> {
        if places >= 0 {
            let scale = u32::try_from(places).unwrap_or(MAX_DIGITS).min(MAX_DIGITS);
            if scale >= self.scale {
                return self.rescale(scale);
            }
            return Decimal::new(self.mantissa / pow10(self.scale - scale)?, scale);
        }
        let digits = u32::try_from(places.unsigned_abs()).unwrap_or(u32::MAX);
        let (Some(unit), Some(div)) = (pow10(digits), pow10(digits.saturating_add(self.scale)))
        else {
            // Cut above the 38 digits there are: nothing is left.
            return Some(Decimal::from_i64(0));
        };
        Decimal::new(self.mantissa / div * unit, 0)
    }

    /// Without trailing zeros after the point (`1.500` -> `1.5`).
    pub fn normalized(&self) -> Decimal {
        let mut d = *self;
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    fn aligned(a: &Decimal, b: &Decimal) -> Option<(i128, i128, u32)> {
        let s = a.scale.max(b.scale);
        Some((a.rescale(s)?.mantissa, b.rescale(s)?.mantissa, s))
    }

    pub fn checked_add(&self, o: &Decimal) -> Option<Decimal> {
        let (a, b, s) = Decimal::aligned(self, o)?;
        Decimal::new(a.checked_add(b)?, s)
    }

    pub fn checked_sub(&self, o: &Decimal) -> Option<Decimal> {
        let (a, b, s) = Decimal::aligned(self, o)?;
        Decimal::new(a.checked_sub(b)?, s)
    }

    pub fn checked_mul(&self, o: &Decimal) -> Option<Decimal> {
        let m = self.mantissa.checked_mul(o.mantissa)?;
        let scale = self.scale + o.scale;
        if scale <= MAX_DIGITS {
            return Decimal::new(m, scale);
        }
        // More digits after the point than a value holds: only trailing zeros may go,
        // anything else would be rounded away silently.
        let unit = pow10(scale - MAX_DIGITS)?;
        if m % unit != 0 {
            return None;
        }
        Decimal::new(m / unit, MAX_DIGITS)
    }

    /// The quotient, rounded half away from zero at the scale PostgreSQL's
    /// `select_div_scale` picks: [`DIVISION_SCALE`] digits after the point, plus 4
    /// for each base-10000 digit the quotient's first one lies below the units one
    /// (less for each above, down to 0), and never fewer than either operand's scale.
    /// So `1.0 / 3` is `0.33333333333333333333` and `10 / 4` is `2.5000000000000000`.
    /// None on overflow; the caller checks for a zero divisor.
    pub fn checked_div(&self, o: &Decimal) -> Option<Decimal> {
        let (weight1, first1) = self.leading_base_digit();
        let (weight2, first2) = o.leading_base_digit();
        // The quotient's weight, assuming self's digits are smaller when the first
        // digits are equal, as PostgreSQL does.
        let mut qweight = weight1 - weight2;
        if first1 <= first2 {
            qweight -= 1;
        }
        let wanted = DIVISION_SCALE as i64 - qweight * BASE_DIGITS;
        let scale = u32::try_from(wanted.max(0))
            .ok()?
            .max(self.scale)
            .max(o.scale);
        // self/o = (a/10^sa)/(b/10^sb); want mantissa at `scale`: a*10^(scale+sb-sa)/b,
        // computed one digit further for rounding.
        let shift = (scale + o.scale + 1).checked_sub(self.scale)?;
        let num = self.mantissa.checked_mul(pow10(shift)?)?;
        let q = num.checked_div(o.mantissa)?;
        Decimal::new(q, scale + 1)?.rescale(scale)
    }

    /// The weight and value of the first nonzero base-10000 digit of `|self|`, as
    /// PostgreSQL stores it: the digit holding 10^(4w) .. 10^(4w+3) has weight w
    /// (`12345.6` is 1|2345|6000: weight 1, digit 1; `0.05` is 0.0500: weight -1,
    /// digit 500). Zero is weight 0, digit 0.
    fn leading_base_digit(&self) -> (i64, i128) {
        let n = self.normalized();
        if n.mantissa == 0 {
            return (0, 0);
        }
        let digits = n.mantissa.unsigned_abs().to_string().len() as i64;
        // The decimal exponent of the leading digit, and the group holding it.
        let exp = digits - 1 - n.scale as i64;
        let weight = exp.div_euclid(BASE_DIGITS);
        // The group is |self| / 10^(4w), cut to its integral part, mod 10000; in
        // mantissa terms a shift by 10^(scale + 4w).
        let low = weight * BASE_DIGITS + n.scale as i64;
        let abs = n.mantissa.unsigned_abs();
        let group = if low >= 0 {
            abs / 10u128.pow(low as u32)
        } else {
            abs * 10u128.pow((-low) as u32)
        };
        (weight, (group % 10_000) as i128)
    }

    /// The remainder with the sign of the dividend, as PostgreSQL's `%`.
    pub fn checked_rem(&self, o: &Decimal) -> Option<Decimal> {
        let (a, b, s) = Decimal::aligned(self, o)?;
        Decimal::new(a.checked_rem(b)?, s)
    }

    pub fn checked_neg(&self) -> Option<Decimal> {
        Decimal::new(self.mantissa.checked_neg()?, self.scale)
    }

    /// The square root at `scale` digits after the point, rounded half away from zero
    /// (PostgreSQL's `sqrt_var` computes a digit past `scale` and rounds). None for a
    /// negative value, or when the root, with that one digit more, does not fit 128 bits.
    pub fn checked_sqrt(&self, scale: u32) -> Option<Decimal> {
        if self.mantissa < 0 {
            return None;
        }
        // sqrt(m / 10^s) * 10^(scale + 1) = sqrt(m * 10^(2 * scale + 2 - s)): the integer
        // square root of m's digits, with zeros appended or digits cut (cutting the
        // fraction of the radicand does not change the floor of its root).
        let mut digits = self.mantissa.to_string().into_bytes();
        let shift = 2 * (scale as i64 + 1) - self.scale as i64;
        match usize::try_from(shift) {
            Ok(zeros) => digits.resize(digits.len() + zeros, b'0'),
            Err(_) => digits.truncate(digits.len().saturating_sub(shift.unsigned_abs() as usize)),
        }
        let root = integer_sqrt(&digits)?;
        let rounded = root / 10 + u128::from(root % 10 >= 5);
        Decimal::new(i128::try_from(rounded).ok()?, scale)
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// The normalized digits and decimal exponent of `|self|`: `0.d1d2... * 10^exp`.
    /// Empty digits for zero. Used by the order-preserving key encoding.
    pub fn digits_and_exponent(&self) -> (Vec<u8>, i32) {
        let n = self.normalized();
        let digits = n.mantissa.unsigned_abs().to_string();
        if n.mantissa == 0 {
            return (Vec::new(), 0);
        }
        let exp = digits.len() as i32 - n.scale as i32;
        let trimmed = digits.trim_end_matches('0');
        (trimmed.bytes().map(|b| b - b'0').collect(), exp)
    }
}

/// The floor of the square root of the integer written in decimal `digits` (ASCII), by
/// the schoolbook method, two digits at a time: the remainder stays below twice the root,
/// so 128 bits hold it as long as they hold the root. None when they do not.
fn integer_sqrt(digits: &[u8]) -> Option<u128> {
    let (mut root, mut remainder) = (0u128, 0u128);
    let first = digits.len() % 2;
    let groups = std::iter::once(&digits[..first]).chain(digits[first..].chunks(2));
    for group in groups.filter(|g| !g.is_empty()) {
        let pair = group.iter().fold(0, |n, &d| n * 10 + u128::from(d - b'0'));
        remainder = remainder.checked_mul(100)?.checked_add(pair)?;
        // The next digit d is the largest with (20 * root + d) * d <= remainder.
        let base = root.checked_mul(20)?;
        let mut d = 9;
        while (base + d).checked_mul(d)? > remainder {
            d -= 1;
        }
        remainder -= (base + d) * d;
        root = root.checked_mul(10)? + d;
    }
    Some(root)
}

/// A number as written, `[-+]int[.frac][e[-+]exp]`, its digits checked.
struct Written<'a> {
    neg: bool,
    int: &'a str,
    frac: &'a str,
    exp: i32,
}

impl<'a> Written<'a> {
    fn split(text: &'a str) -> Option<Written<'a>> {
        let s = text.trim();
        let (s, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
            None => (s, 0),
        };
        let (neg, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let w = Written {
            neg,
            int,
            frac,
            exp,
        };
        let digits = w.digits().count();
        (digits > 0 && w.digits().all(|c| c.is_ascii_digit())).then_some(w)
    }

    fn digits(&self) -> impl Iterator<Item = u8> + 'a {
        self.int.bytes().chain(self.frac.bytes())
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match Decimal::aligned(self, other) {
            Some((a, b, _)) => a.cmp(&b),
            None => {
                let (a, b) = (self.normalized(), other.normalized());
                match Decimal::aligned(&a, &b) {
                    Some((a, b, _)) => a.cmp(&b),
                    None => a.to_f64().total_cmp(&b.to_f64()),
                }
            }
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn conversion_to_double_gives_the_nearest_double_as_reading_the_digits_does() {
        // More than 53 bits of mantissa: converting it first and then dividing rounds twice.
        let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
        for text in [
            "117054492.99186921",
            "0.1",
            "-3.14159265358979323846",
            "1e-30",
        ]
        .map(String::from)
        .into_iter()
        .chain((0..2000).map(|_| {
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            let digits = (n % 10_u64.pow(18)) as i128 * (1 + (n >> 60) as i128);
            Decimal::new(digits, (n >> 8) as u32 % 30)
                .unwrap()
                .to_string()
        })) {
            let want: f64 = text.parse().unwrap();
            assert_eq!(d(&text).to_f64(), want, "{text}");
        }
    }

    #[test]
    fn parse_and_display_keep_the_scale() {
        for s in ["0", "1.50", "-0.05", "123456.789", "0.001"] {
            assert_eq!(d(s).to_string(), s);
        }
        assert_eq!(d("1e3").to_string(), "1000");
        assert_eq!(d("1.5e-2").to_string(), "0.015");
        assert!(Decimal::parse("1.2.3").is_none());
        assert!(Decimal::parse("").is_none());
        assert!(Decimal::parse("-").is_none());
    }

    #[test]
    fn arithmetic_follows_postgres_scales() {
        assert_eq!(d("1.50").checked_add(&d("1")).unwrap().to_string(), "2.50");
        assert_eq!(
            d("1.5").checked_mul(&d("0.25")).unwrap().to_string(),
            "0.375"
        );
        assert_eq!(
            d("1").checked_div(&d("3")).unwrap().to_string(),
            "0.33333333333333333333"
        );
        assert_eq!(
            d("2").checked_div(&d("3")).unwrap().to_string(),
            "0.66666666666666666667"
        );
        assert_eq!(d("-7").checked_rem(&d("3")).unwrap().to_string(), "-1");
        assert_eq!(d("2.345").rescale(2).unwrap().to_string(), "2.35");
        assert_eq!(d("-2.345").rescale(2).unwrap().to_string(), "-2.35");
    }

    #[test]
    fn a_quotient_has_the_scale_postgres_selects() {
        // Expected values are PostgreSQL 15's.
        for (a, b, q) in [
            ("10", "4", "2.5000000000000000"),
            ("1.0", "3", "0.33333333333333333333"),
            ("0", "4", "0.00000000000000000000"),
            ("100000000", "3.0", "33333333.333333333333"),
            ("0.000001", "3", "0.000000333333333333333333"),
            ("12345678901234567890", "3", "4115226300411522630"),
            ("2.25", "4", "0.56250000000000000000"),
            ("-7", "2", "-3.5000000000000000"),
            ("1", "0.0003", "3333.3333333333333333"),
            ("9999", "1", "9999.0000000000000000"),
            ("10000", "1", "10000.0000000000000000"),
            ("1.23456789012345678901", "1", "1.23456789012345678901"),
        ] {
            assert_eq!(d(a).checked_div(&d(b)).unwrap().to_string(), q, "{a} / {b}");
        }
    }

    #[test]
    fn rounding_to_negative_places_keeps_scale_zero() {
        assert_eq!(d("12345").round_to(-3).unwrap().to_string(), "12000");
        assert_eq!(d("99500").round_to(-3).unwrap().to_string(), "100000");
        assert_eq!(d("-500").round_to(-3).unwrap().to_string(), "-1000");
        assert_eq!(d("-499.9").round_to(-3).unwrap().to_string(), "0");
        assert_eq!(d("1.5").round_to(-40).unwrap().to_string(), "0");
        assert_eq!(d("2.345").round_to(2).unwrap().to_string(), "2.35");
    }

    #[test]
    fn rounding_away_all_38_digits_does_not_overflow() {
        let tiny = d("0.99999999999999999999999999999999999999");
        assert_eq!(tiny.rescale(0).unwrap().to_string(), "1");
        assert_eq!(
            tiny.checked_neg().unwrap().round_to(0).unwrap().to_string(),
            "-1"
        );
    }

    #[test]
    fn powers_of_ten_bound_absolute_values() {
        assert!(d("9999.99").abs_below_power_of_ten(4));
        assert!(!d("-10000.00").abs_below_power_of_ten(4));
        assert!(d("0.00999").abs_below_power_of_ten(-2));
        assert!(!d("0.01000").abs_below_power_of_ten(-2));
        assert!(d("0.000").abs_below_power_of_ten(-50));
        assert!(!d("0.001").abs_below_power_of_ten(-50));
        assert!(d("99999999999999999999999999999999999999").abs_below_power_of_ten(76));
    }

    #[test]
    fn equal_values_at_different_scales_compare_equal() {
        assert_eq!(d("1.0"), d("1.000"));
        assert!(d("0.1") < d("0.11"));
        assert!(d("-1") < d("-0.5"));
    }

    #[test]
    fn a_square_root_is_rounded_at_the_scale_asked_for() {
        // The exact roots, rounded; the first two are PostgreSQL 15's `stddev_samp` and
        // `stddev_pop` of 1, 2, 3, 4.
        for (x, scale, root) in [
            ("1.6666666666666667", 16, "1.2909944487358056"),
            ("1.2500000000000000", 16, "1.1180339887498948"),
            ("2", 0, "1"),
            ("0.25", 2, "0.50"),
            ("0", 3, "0.000"),
            ("99", 0, "10"),
            ("1000000000000000000000000", 0, "1000000000000"),
            (
                "0.000000000000000000020000000000000000",
                36,
                "0.000000000141421356237309504880168872",
            ),
        ] {
            assert_eq!(
                d(x).checked_sqrt(scale).unwrap().to_string(),
                root,
                "sqrt({x})"
            );
        }
        assert!(d("-1").checked_sqrt(0).is_none());
    }

    #[test]
    fn overflow_is_reported_not_wrapped() {
        let big = d("99999999999999999999999999999999999999");
        assert!(big.checked_add(&d("1")).is_none());
        assert!(big.checked_mul(&big).is_none());
    }
}
