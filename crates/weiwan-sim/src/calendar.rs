//! Months and days of the covered window, and the seasonal rhythm of a Chinese mobile base.
//!
//! Months are handled as serial numbers (`year * 12 + month - 1`) so that month arithmetic
//! is integer arithmetic; dates are only built when a row needs one.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::draw::Draw;

/// A month as `year * 12 + (month - 1)`.
pub(crate) type MonthSerial = i32;

pub(crate) fn serial_of(date: NaiveDate) -> MonthSerial {
    date.year() * 12 + date.month0() as i32
}

/// The first day of a month. Out-of-range months (beyond chrono's years) fall back to
/// chrono's minimum date; [`crate::Config::validate`] keeps real runs far from them.
pub(crate) fn first_day(serial: MonthSerial) -> NaiveDate {
    let year = serial.div_euclid(12);
    let month = serial.rem_euclid(12) as u32 + 1;
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

pub(crate) fn days_in(serial: MonthSerial) -> u32 {
    let days = first_day(serial + 1).signed_duration_since(first_day(serial)).num_days();
    days.clamp(28, 31) as u32
}

pub(crate) fn last_day(serial: MonthSerial) -> NaiveDate {
    day_of(serial, days_in(serial))
}

/// Day `day` (1-based, clamped to the month's length) of a month.
pub(crate) fn day_of(serial: MonthSerial, day: u32) -> NaiveDate {
    let day = day.clamp(1, days_in(serial));
    first_day(serial) + Duration::days(i64::from(day) - 1)
}

/// `date` moved by whole months, the day clamped to the target month's length
/// (31 January + 1 month = 28 or 29 February).
pub(crate) fn add_months(date: NaiveDate, months: i32) -> NaiveDate {
    day_of(serial_of(date) + months, date.day())
}

/// Whole months from `earlier` to `later` (negative when `later` is earlier).
pub(crate) fn months_between(earlier: NaiveDate, later: NaiveDate) -> i32 {
    let months = serial_of(later) - serial_of(earlier);
    if later.day() < earlier.day() { months - 1 } else { months }
}

/// A time of day weighted towards waking and business hours, as people call, pay and
/// complain.
pub(crate) fn time_on(rng: &mut impl Draw, date: NaiveDate) -> NaiveDateTime {
    // Hours 0..24; weights peak in the late morning and the evening.
    const HOUR_WEIGHTS: [u32; 24] =
        [1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 8, 8, 9, 9, 9, 8, 8, 9, 9, 7, 4, 2];
    let hour = rng.weighted(&HOUR_WEIGHTS) as u32;
    let minute = rng.below(60) as u32;
    let second = rng.below(60) as u32;
    date.and_time(NaiveTime::from_hms_opt(hour, minute, second).unwrap_or(NaiveTime::MIN))
}

/// The covered window: `months` months ending with `end_month`, and the extract date (the
/// last day of `end_month`) as of which statuses are reported.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    pub first_month: MonthSerial,
    pub months: usize,
}

impl Timeline {
    pub(crate) fn new(end_month: NaiveDate, months: u32) -> Timeline {
        let months = months.max(1);
        Timeline { first_month: serial_of(end_month) - months as i32 + 1, months: months as usize }
    }

    /// Serial of the window's month `t` (0-based).
    pub(crate) fn serial(&self, t: usize) -> MonthSerial {
        self.first_month + t as i32
    }

    pub(crate) fn start(&self) -> NaiveDate {
        first_day(self.first_month)
    }

    pub(crate) fn extract_date(&self) -> NaiveDate {
        last_day(self.serial(self.months - 1))
    }

    /// Calendar month (1..=12) of window month `t`.
    pub(crate) fn calendar_month(&self, t: usize) -> u32 {
        self.serial(t).rem_euclid(12) as u32 + 1
    }

    /// Window index of the month holding `date`: negative before the window, `>= months`
    /// after it.
    pub(crate) fn index_of(&self, date: NaiveDate) -> i64 {
        i64::from(serial_of(date) - self.first_month)
    }
}

/// Seasonal multipliers by calendar month (index 0 = January).
///
/// Data and voice rise around the Spring Festival (春节, January/February: travel, video
/// calls home, red-envelope traffic), voice dips in the summer holidays (July/August) while
/// data rises, and the October Golden Week (国庆) brings a small bump.
pub(crate) const SEASON_DATA: [f64; 12] =
    [1.10, 1.15, 1.00, 0.98, 1.00, 1.00, 1.06, 1.08, 0.98, 1.04, 1.00, 1.02];
pub(crate) const SEASON_VOICE: [f64; 12] =
    [1.12, 1.10, 1.00, 0.98, 1.00, 0.98, 0.92, 0.90, 1.00, 1.02, 1.00, 1.02];

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(add_months(date(2026, 1, 31), 1), date(2026, 2, 28));
        assert_eq!(add_months(date(2026, 3, 15), -15), date(2024, 12, 15));
        assert_eq!(last_day(serial_of(date(2024, 2, 1))), date(2024, 2, 29));
        assert_eq!(months_between(date(2025, 10, 20), date(2026, 10, 19)), 11);
        assert_eq!(months_between(date(2025, 10, 20), date(2026, 10, 20)), 12);
        let timeline = Timeline::new(date(2026, 10, 1), 12);
        assert_eq!(timeline.start(), date(2025, 11, 1));
        assert_eq!(timeline.extract_date(), date(2026, 10, 31));
        assert_eq!(timeline.calendar_month(2), 1);
        assert_eq!(timeline.index_of(date(2025, 10, 31)), -1);
    }
}
