//! The proleptic Gregorian calendar, as PostgreSQL uses it for every date: days since
//! 2000-01-01 (PostgreSQL's epoch) to a civil date and back, leap years, weekdays and ISO weeks.
//!
//! Years are astronomical here (year 0 is 1 BC, year -1 is 2 BC); only parsing and
//! printing speak of BC. The conversions are exact integer arithmetic on 400-year eras
//! (146 097 days each), so they hold for any year a date can have.

/// Days in a 400-year cycle of the Gregorian calendar.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 2000-01-01: the eras below start in March, so that the leap
/// day is the last day of the year they count in.
const EPOCH_SHIFT: i64 = 730_425;

/// True for a leap year (astronomical numbering).
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1 to 12) of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// True if year, month and day name a day of the calendar.
pub fn is_valid(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// Days since 2000-01-01 of a valid civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count years from March: January and February belong to the year before.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// The civil date (year, month, day) `days` days after 2000-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z.rem_euclid(DAYS_PER_ERA);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day of the week, 0 for Sunday to 6 for Saturday (2000-01-01 was a Saturday).
pub fn weekday(days: i64) -> i64 {
    (days + 6).rem_euclid(7)
}

/// The day of the year, 1 to 366.
pub fn day_of_year(days: i64) -> i64 {
    let (year, _, _) = civil_from_days(days);
    days - days_from_civil(year, 1, 1) + 1
}

/// The ISO 8601 week-numbering year and week (1 to 53) of a day: weeks start on
/// Monday, and week 1 is the one with the year's first Thursday.
pub fn iso_week(days: i64) -> (i64, i64) {
    let monday_based = (weekday(days) + 6) % 7;
    let thursday = days - monday_based + 3;
    let (year, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    (year, week)
}

/// The first day of the ISO week-numbering year `year`: the Monday of its week 1.
pub fn iso_year_start(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (weekday(jan4) + 6) % 7
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_epoch_and_known_days_convert_both_ways() {
        for (date, days) in [
            ((2000, 1, 1), 0),
            ((1970, 1, 1), -10_957),
            ((2024, 2, 29), 8_825),
            ((1999, 12, 31), -1),
            ((1, 1, 1), -730_119),
            ((0, 2, 29), -730_426),
            ((-4713, 11, 24), -2_451_545),
        ] {
            assert_eq!(days_from_civil(date.0, date.1, date.2), days, "{date:?}");
            assert_eq!(civil_from_days(days), date, "{days}");
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rules() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(0));
        assert!(!is_leap_year(1900) && !is_leap_year(2023) && !is_leap_year(2100));
        assert!(is_valid(2024, 2, 29) && !is_valid(2023, 2, 29));
        assert!(!is_valid(2024, 4, 31) && !is_valid(2024, 13, 1) && !is_valid(2024, 1, 0));
    }

    #[test]
    fn weekdays_and_iso_weeks_match_known_calendars() {
        // 2024-05-06 was a Monday; 2021-01-03 a Sunday in ISO week 53 of 2020.
        assert_eq!(weekday(days_from_civil(2024, 5, 6)), 1);
        assert_eq!(iso_week(days_from_civil(2021, 1, 3)), (2020, 53));
        assert_eq!(iso_week(days_from_civil(2024, 12, 30)), (2025, 1));
        assert_eq!(iso_week(days_from_civil(2024, 5, 6)), (2024, 19));
        assert_eq!(iso_year_start(2025), days_from_civil(2024, 12, 30));
        assert_eq!(day_of_year(days_from_civil(2024, 12, 31)), 366);
    }

    proptest! {
        #[test]
        fn days_round_trip_through_civil_dates(days in -3_000_000i64..2_150_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!(is_valid(y, m, d));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn consecutive_days_are_consecutive_dates(days in -3_000_000i64..3_000_000) {
            let (y, m, d) = civil_from_days(days);
            let next = civil_from_days(days + 1);
            let expected = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            prop_assert_eq!(next, expected);
        }
    }
}
