//! Delivery windows: the calendar week (Sunday to Saturday, as Seller Central
//! shows them) in which an inbound shipment is expected at its warehouse, and who
//! set it.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::Problem;

crate::code_enum! {
    /// Who set a delivery window.
    WindowSource {
        Seller = 0, "SELLER", "Set by the seller";
        Carrier = 1, "CARRIER", "Set by the carrier through the API";
        CarrierAutomation = 2, "CARRIER_AUTOMATION", "Moved by delivery-window automation on the carrier's behalf";
        Reroute = 3, "REROUTE", "Set by a confirmed reroute";
    }
}

/// A delivery window: first and last day of one calendar week, Sunday to Saturday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryWindow {
    /// The Sunday the week starts on.
    pub start_date: Date,
    /// The Saturday the week ends on.
    pub end_date: Date,
}

impl DeliveryWindow {
    /// The calendar week that contains `day`.
    pub fn week_of(day: Date) -> Self {
        let back = i64::from(day.weekday().to_sunday_zero_offset());
        let start = day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day);
        let end = start
            .checked_add(jiff::Span::new().days(6))
            .unwrap_or(start);
        Self {
            start_date: start,
            end_date: end,
        }
    }

    /// Checks that `start..=end` is exactly one Sunday-to-Saturday week.
    ///
    /// # Errors
    /// A [`Problem`] on `startDate` or `endDate` saying which week was probably meant.
    pub fn new(start: Date, end: Date) -> Result<Self, Problem> {
        let week = Self::week_of(start);
        if start.weekday() != Weekday::Sunday {
            return Err(Problem::new(
                "delivery_window.start_not_sunday",
                "startDate",
                format!(
                    "startDate {start} is a {:?}; a delivery window is a calendar week from Sunday to Saturday: use {} to {}",
                    start.weekday(),
                    week.start_date,
                    week.end_date
                ),
                format!(
                    "startDate {start} 不是星期日；送达时段是从星期日到星期六的一个日历周：请使用 {} 至 {}",
                    week.start_date, week.end_date
                ),
            ));
        }
        if end != week.end_date {
            return Err(Problem::new(
                "delivery_window.not_one_week",
                "endDate",
                format!(
                    "endDate must be the Saturday six days after startDate: use {}",
                    week.end_date
                ),
                format!(
                    "endDate 必须是 startDate 之后第六天（星期六）：请使用 {}",
                    week.end_date
                ),
            ));
        }
        Ok(week)
    }

    /// Whether `day` falls inside the window.
    pub fn contains(&self, day: Date) -> bool {
        self.start_date <= day && day <= self.end_date
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn check(day: Date, start: Date, end: Date) {
        let w = DeliveryWindow::week_of(day);
        assert_eq!((w.start_date, w.end_date), (start, end), "week of {day}");
        assert!(w.contains(day));
    }

    #[test]
    fn weeks_run_sunday_to_saturday() {
        // Seller Central shows "11月9日 - 2025年11月15日" for a shipment to TEB9.
        check(date(2025, 11, 12), date(2025, 11, 9), date(2025, 11, 15));
        check(date(2025, 11, 9), date(2025, 11, 9), date(2025, 11, 15));
        check(date(2025, 11, 15), date(2025, 11, 9), date(2025, 11, 15));
        check(date(2025, 12, 31), date(2025, 12, 28), date(2026, 1, 3));
    }

    #[test]
    fn new_rejects_a_window_that_is_not_one_week() {
        assert!(DeliveryWindow::new(date(2025, 12, 14), date(2025, 12, 20)).is_ok());
        let err = DeliveryWindow::new(date(2025, 12, 15), date(2025, 12, 21)).unwrap_err();
        assert_eq!(err.code, "delivery_window.start_not_sunday");
        assert!(err.en.contains("2025-12-14"), "{}", err.en);
        let err = DeliveryWindow::new(date(2025, 12, 14), date(2025, 12, 27)).unwrap_err();
        assert_eq!(err.field, "endDate");
    }

    proptest::proptest! {
        #[test]
        fn every_day_is_in_exactly_its_week(days in 0i64..40_000) {
            let day = date(2000, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let w = DeliveryWindow::week_of(day);
            proptest::prop_assert!(w.contains(day));
            proptest::prop_assert_eq!(w.start_date.weekday(), Weekday::Sunday);
            proptest::prop_assert_eq!(DeliveryWindow::new(w.start_date, w.end_date), Ok(w));
        }
    }
}
