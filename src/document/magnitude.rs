//! Numbers as the Model Documentation Form asks for them: a figure with a number of significant
//! figures (`7.3 × 10^10`), an order of magnitude (`10^24`), the parameter-count size range and
//! the training-time range.
//!
//! Rounding works on the decimal digits of the figure as written (a declared `9.95e24` rounds
//! as the digits 9, 9, 5, not as the nearest binary float), half away from zero: `7.35e10` at two
//! significant figures is `7.4 × 10^10`, the rule `policy::figures::two_significant` uses to
//! compare counts, so a document and a finding never round one figure two ways.

/// A positive number as decimal digits: `d0.d1d2... × 10^exponent`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    digits: Vec<u8>,
    exponent: i32,
}

impl Decimal {
    /// The shortest decimal that reads back as `x` (what `{:e}` prints); `None` unless `x` is
    /// finite and above zero.
    fn of_f64(x: f64) -> Option<Self> {
        if !x.is_finite() || x <= 0.0 {
            return None;
        }
        let text = format!("{x:e}");
        let (mantissa, exponent) = text.split_once('e')?;
        let exponent: i32 = exponent.parse().ok()?;
        let digits: Vec<u8> = mantissa
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        Self::trimmed(digits, exponent)
    }

    fn of_u64(n: u64) -> Option<Self> {
        if n == 0 {
            return None;
        }
        let digits: Vec<u8> = n.to_string().bytes().map(|b| b - b'0').collect();
        let exponent = i32::try_from(digits.len()).ok()? - 1;
        Self::trimmed(digits, exponent)
    }

    fn trimmed(mut digits: Vec<u8>, exponent: i32) -> Option<Self> {
        while digits.len() > 1 && digits.last() == Some(&0) {
            digits.pop();
        }
        (digits.first().is_some_and(|d| *d > 0)).then_some(Self { digits, exponent })
    }

    /// Rounded to `n` significant figures (at least one), half away from zero, padded with
    /// zeros to exactly `n` digits.
    fn rounded(&self, n: usize) -> Self {
        let n = n.max(1);
        let mut digits: Vec<u8> = self.digits.iter().copied().take(n).collect();
        digits.resize(n, 0);
        let mut exponent = self.exponent;
        if self.digits.get(n).is_some_and(|d| *d >= 5) {
            let mut i = n;
            loop {
                if i == 0 {
                    // Every digit was 9: 9.96 -> 10.0, one more power of ten.
                    digits.insert(0, 1);
                    digits.truncate(n);
                    exponent += 1;
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        Self { digits, exponent }
    }

    fn text(&self) -> String {
        let mut mantissa: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        if mantissa.len() > 1 {
            mantissa.insert(1, '.');
        }
        format!("{mantissa} × 10^{}", self.exponent)
    }
}

/// `x` with `n` significant figures in scientific notation (`7.3 × 10^10`); `None` unless `x`
/// is finite and above zero.
pub fn significant(x: f64, n: usize) -> Option<String> {
    Decimal::of_f64(x).map(|d| d.rounded(n).text())
}

/// A whole number with `n` significant figures (`7.3 × 10^10`); `None` for zero.
pub fn significant_u64(x: u64, n: usize) -> Option<String> {
    Decimal::of_u64(x).map(|d| d.rounded(n).text())
}

/// The order of magnitude of `x`: the power of ten it lies in, `10^24` for anything from
/// `1.0e24` up to, not including, `1.0e25` (so `9.95e24` is `10^24`: an order of magnitude never
/// rounds a figure up past a power of ten, such as the 10^25 FLOP of Art. 51(2)).
pub fn order_of_magnitude(x: f64) -> Option<String> {
    Decimal::of_f64(x).map(|d| format!("10^{}", d.exponent))
}

/// The size ranges of the Model Documentation Form, upper bound included: a range named
/// `1-500M` holds 500,000,000 itself, and `>1T` starts above 1,000,000,000,000 (the last
/// range says "more than", so a bound belongs to the range below it).
const PARAMETER_RANGES: [(u64, &str); 7] = [
    (500_000_000, "1-500M"),
    (5_000_000_000, "500M-5B"),
    (15_000_000_000, "5B-15B"),
    (50_000_000_000, "15B-50B"),
    (100_000_000_000, "50B-100B"),
    (500_000_000_000, "100B-500B"),
    (1_000_000_000_000, "500B-1T"),
];

/// The Form's parameter size range of `n` parameters; `None` for zero.
pub fn parameter_range(n: u64) -> Option<&'static str> {
    if n == 0 {
        return None;
    }
    Some(
        PARAMETER_RANGES
            .iter()
            .find(|(upper, _)| n <= *upper)
            .map_or(">1T", |(_, name)| name),
    )
}

/// Hours in a month: a twelfth of a Julian year (365.25 days), 30.4375 days.
pub const HOURS_PER_MONTH: f64 = 365.25 * 24.0 / 12.0;

/// The Form's training-time range for the authorities: `< 1 month`, `1-3 months`, `3-6 months`,
/// `> 6 months`. The first and last ranges are strict, so exactly one month is `1-3 months` and
/// exactly three or six months belong to the range they end; a month is [`HOURS_PER_MONTH`].
pub fn training_time_range(hours: f64) -> Option<&'static str> {
    if !hours.is_finite() || hours < 0.0 {
        return None;
    }
    let months = hours / HOURS_PER_MONTH;
    Some(if months < 1.0 {
        "< 1 month"
    } else if months <= 3.0 {
        "1-3 months"
    } else if months <= 6.0 {
        "3-6 months"
    } else {
        "> 6 months"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_figures_round_the_written_digits_half_away_from_zero() {
        // 7.349e10 has a 4 after the kept digits: down; 7.35e10 a 5: up.
        assert_eq!(significant(7.349e10, 2).unwrap(), "7.3 × 10^10");
        assert_eq!(significant(7.35e10, 2).unwrap(), "7.4 × 10^10");
        assert_eq!(significant_u64(73_490_000_000, 2).unwrap(), "7.3 × 10^10");
        assert_eq!(significant_u64(73_500_000_000, 2).unwrap(), "7.4 × 10^10");
        // 9.95e24 FLOP: the 5 carries through the 9s into the next power of ten.
        assert_eq!(significant(9.95e24, 2).unwrap(), "1.0 × 10^25");
        assert_eq!(significant(9.94e24, 2).unwrap(), "9.9 × 10^24");
        assert_eq!(significant(2.4e25, 2).unwrap(), "2.4 × 10^25");
        // Padded: a round figure still shows the figures asked for.
        assert_eq!(significant(1e2, 2).unwrap(), "1.0 × 10^2");
        assert_eq!(significant(1.5e13, 1).unwrap(), "2 × 10^13");
        assert_eq!(significant(1.4e13, 1).unwrap(), "1 × 10^13");
        // Energy: 0.95 MWh at two figures, 1 kWh = 0.001 MWh.
        assert_eq!(significant(0.95, 2).unwrap(), "9.5 × 10^-1");
        assert_eq!(significant(0.001, 2).unwrap(), "1.0 × 10^-3");
        assert_eq!(significant(0.0, 2), None);
        assert_eq!(significant(-1.0, 2), None);
        assert_eq!(significant(f64::NAN, 2), None);
        assert_eq!(significant(f64::INFINITY, 2), None);
        assert_eq!(significant_u64(0, 2), None);
        assert_eq!(significant_u64(u64::MAX, 2).unwrap(), "1.8 × 10^19");
        assert_eq!(significant_u64(158_016, 2).unwrap(), "1.6 × 10^5");
        assert_eq!(significant_u64(7, 2).unwrap(), "7.0 × 10^0");
    }

    #[test]
    fn an_order_of_magnitude_is_the_power_of_ten_the_figure_lies_in() {
        assert_eq!(order_of_magnitude(9.95e24).unwrap(), "10^24");
        assert_eq!(order_of_magnitude(1.0e25).unwrap(), "10^25");
        assert_eq!(order_of_magnitude(2.4e25).unwrap(), "10^25");
        assert_eq!(order_of_magnitude(1.9e15).unwrap(), "10^15");
        assert_eq!(order_of_magnitude(0.0), None);
    }

    #[test]
    fn a_parameter_count_on_a_bound_falls_in_the_range_below() {
        let cases: [(u64, Option<&str>); 12] = [
            (0, None),
            (1, Some("1-500M")),
            (499_999_999, Some("1-500M")),
            (500_000_000, Some("1-500M")),
            (500_000_001, Some("500M-5B")),
            (5 * 10u64.pow(9), Some("500M-5B")),
            (5 * 10u64.pow(9) + 1, Some("5B-15B")),
            (15 * 10u64.pow(9), Some("5B-15B")),
            (10u64.pow(11), Some("50B-100B")),
            (4 * 10u64.pow(11), Some("100B-500B")),
            (10u64.pow(12), Some("500B-1T")),
            (10u64.pow(12) + 1, Some(">1T")),
        ];
        for (n, range) in cases {
            assert_eq!(parameter_range(n), range, "{n}");
        }
    }

    #[test]
    fn thirty_point_four_days_is_less_than_a_month() {
        let days = |d: f64| d * 24.0;
        assert_eq!(training_time_range(days(30.4)), Some("< 1 month"));
        assert_eq!(training_time_range(days(365.25 / 12.0)), Some("1-3 months"));
        assert_eq!(training_time_range(days(31.0)), Some("1-3 months"));
        assert_eq!(training_time_range(days(365.25 / 4.0)), Some("1-3 months"));
        assert_eq!(training_time_range(days(92.0)), Some("3-6 months"));
        assert_eq!(training_time_range(days(365.25 / 2.0)), Some("3-6 months"));
        assert_eq!(training_time_range(days(183.0)), Some("> 6 months"));
        assert_eq!(training_time_range(12.0), Some("< 1 month"));
        assert_eq!(training_time_range(-1.0), None);
        assert_eq!(training_time_range(f64::NAN), None);
    }
}
