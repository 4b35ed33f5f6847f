//! The longest a publicly trusted TLS certificate may live, by issuance
//! date: the CA/Browser Forum's ballot SC-081 schedule, as data.

use time::Date;
use time::macros::date;

/// From each date on, certificates issued live at most this many days
/// (CA/B Forum Baseline Requirements §6.3.2 as amended by ballot SC-081).
pub const SC081: &[(Date, u32)] = &[
    (date!(2026 - 03 - 15), 200),
    (date!(2027 - 03 - 15), 100),
    (date!(2029 - 03 - 15), 47),
];

/// The limit before the first step of the schedule.
pub const BEFORE_SC081: u32 = 398;

/// The longest lifetime a certificate issued on `day` may have.
pub fn max_days_on(day: Date) -> u32 {
    SC081
        .iter()
        .rev()
        .find(|(from, _)| *from <= day)
        .map_or(BEFORE_SC081, |(_, days)| *days)
}

/// The step of the schedule in force on `day`, if any.
pub fn step_on(day: Date) -> Option<(Date, u32)> {
    SC081.iter().rev().find(|(from, _)| *from <= day).copied()
}

/// The shortest limit in force at any time up to `end` (open-ended: the
/// last step): limits only shrink, so it is the one at `end`.
pub fn shortest_until(end: Option<Date>) -> (Option<Date>, u32) {
    match end {
        Some(day) => step_on(day).map_or((None, BEFORE_SC081), |(d, n)| (Some(d), n)),
        None => SC081
            .last()
            .map_or((None, BEFORE_SC081), |(d, n)| (Some(*d), *n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_follows_the_ballot() {
        // The ballot's own dates: 398 days until 2026-03-15, then 200, 100
        // from 2027-03-15 and 47 from 2029-03-15.
        assert_eq!(max_days_on(date!(2026 - 03 - 14)), 398);
        assert_eq!(max_days_on(date!(2026 - 03 - 15)), 200);
        assert_eq!(max_days_on(date!(2027 - 03 - 14)), 200);
        assert_eq!(max_days_on(date!(2027 - 03 - 15)), 100);
        assert_eq!(max_days_on(date!(2029 - 03 - 14)), 100);
        assert_eq!(max_days_on(date!(2029 - 03 - 15)), 47);
        assert_eq!(shortest_until(None).1, 47);
        assert_eq!(shortest_until(Some(date!(2028 - 01 - 01))).1, 100);
    }
}
