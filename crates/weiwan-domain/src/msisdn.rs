//! MSISDN: a mobile number in mainland China, 11 digits starting with 1.

use std::fmt;

use crate::error::FieldError;

/// A validated mainland-China mobile number such as `13800001234`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Msisdn(String);

impl Msisdn {
    pub fn parse(text: &str) -> Result<Msisdn, FieldError> {
        let valid = text.len() == 11
            && text.starts_with('1')
            && text.bytes().all(|b| b.is_ascii_digit())
            && (b'3'..=b'9').contains(&text.as_bytes()[1]);
        if !valid {
            return Err(FieldError::invalid(text, "an 11-digit mobile number starting 13-19"));
        }
        Ok(Msisdn(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown to roles that may not see the number: `138****1234`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mobile_numbers_and_masks_them() {
        let msisdn = Msisdn::parse("13800001234").expect("valid");
        assert_eq!(msisdn.masked(), "138****1234");
    }

    #[test]
    fn refuses_other_numbers() {
        for bad in ["1380000123", "138000012345", "23800001234", "12800001234", "1380000123a", ""] {
            assert!(Msisdn::parse(bad).is_err(), "{bad:?}");
        }
    }
}
