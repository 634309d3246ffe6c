//! Money in yuan, held exactly as an integer number of fen (分, 0.01 yuan).

use std::fmt;

use crate::error::FieldError;

/// An amount of money. Extracts write it in yuan with at most two decimals (`96.00`, `-12.5`);
/// it is never a float, so sums of ARPU over tens of millions of lines stay exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money {
    fen: i64,
}

impl Money {
    pub const ZERO: Money = Money { fen: 0 };

    pub const fn from_fen(fen: i64) -> Money {
        Money { fen }
    }

    pub const fn from_yuan(yuan: i64) -> Money {
        Money { fen: yuan * 100 }
    }

    pub const fn fen(self) -> i64 {
        self.fen
    }

    /// Parses `"96"`, `"96.5"`, `"96.50"` or `"-3.20"`. More than two decimals, exponents,
    /// thousands separators and currency signs are refused rather than rounded.
    pub fn parse(text: &str) -> Result<Money, FieldError> {
        let expected = "an amount in yuan with at most 2 decimals";
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(FieldError::invalid(text, expected));
        }
        if digits.contains('.') && fraction.is_empty() {
            return Err(FieldError::invalid(text, expected));
        }
        let whole: i64 = whole.parse().map_err(|_| FieldError::invalid(text, expected))?;
        let fraction_fen: i64 = match fraction.len() {
            0 => 0,
            1 => i64::from(fraction.as_bytes()[0] - b'0') * 10,
            _ => fraction.parse().map_err(|_| FieldError::invalid(text, expected))?,
        };
        let fen = whole
            .checked_mul(100)
            .and_then(|f| f.checked_add(fraction_fen))
            .ok_or_else(|| FieldError::invalid(text, expected))?;
        Ok(Money { fen: if negative { -fen } else { fen } })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.fen < 0 { "-" } else { "" };
        let abs = self.fen.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_yuan() {
        let check = |text: &str, fen: i64, shown: &str| {
            let money = Money::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(money.fen(), fen, "{text}");
            assert_eq!(money.to_string(), shown, "{text}");
        };
        check("96", 9600, "96.00");
        check("96.5", 9650, "96.50");
        check("0.07", 7, "0.07");
        check("-3.20", -320, "-3.20");
        check("-0.5", -50, "-0.50");
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        for bad in ["", "-", "1.234", "1e3", "1,000", "¥5", "12.", ".5", "abc", "99999999999999999999"] {
            assert!(Money::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
