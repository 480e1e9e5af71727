//! The arrival order: the key the listing's "arriving soonest" sort
//! ([`crate::ShipmentSort::ArrivalSoonest`]) walks.
//!
//! Each shipment row keeps it in `arrival_order`, one integer, so that one
//! index (seller, arrival order, seq) serves the sort and a cursor compares
//! plain numbers:
//!
//! - a shipment still on its way with an engine estimate: the estimate's p50,
//!   in microseconds;
//! - one without an estimate but with a delivery window: the window's first
//!   day at 00:00 UTC, as the engine reads windows;
//! - one with neither: [`ARRIVAL_UNKNOWN`], after every time;
//! - a finished one (delivered or later, or cancelled): [`ARRIVAL_FINISHED`],
//!   after those. An arrived shipment's estimate is the time it arrived, in
//!   the past, and would otherwise head a list of what arrives next.
//!
//! Who writes it: creating a shipment; an engine pass, for every estimate it
//! stores or clears; every delivery-window change; and the projection, only
//! when a shipment is finished. Nothing else moves the column, so the ingest
//! of milestones leaves it and its index alone until a shipment's last box is
//! delivered. A status does not leave the finished ones: a delivered box's
//! tracking is closed, a cancellation is final, and a warehouse receipt only
//! moves a shipment on to CHECKED_IN, RECEIVING or CLOSED; each of those
//! writes goes through the projection, which finishes the order.

use tracklane_core::{DeliveryWindow, ShipmentStatus};

/// The arrival order of a shipment on its way whose arrival nobody has
/// estimated: after every real time.
pub const ARRIVAL_UNKNOWN: i64 = i64::MAX - 1;

/// The arrival order of a finished shipment: after everything still to come.
pub const ARRIVAL_FINISHED: i64 = i64::MAX;

/// Whether a shipment in `status` has nothing left to arrive.
pub(crate) fn is_finished(status: ShipmentStatus) -> bool {
    match status {
        ShipmentStatus::Working
        | ShipmentStatus::ReadyToShip
        | ShipmentStatus::Shipped
        | ShipmentStatus::InTransit => false,
        ShipmentStatus::Delivered
        | ShipmentStatus::CheckedIn
        | ShipmentStatus::Receiving
        | ShipmentStatus::Closed
        | ShipmentStatus::Cancelled => true,
    }
}

/// The first status that [`is_finished`]: the statuses are numbered in the
/// order a shipment goes through them, so SQL tests `status >=` this.
const FINISHED_FROM: ShipmentStatus = ShipmentStatus::Delivered;

/// The instant `window` starts, in microseconds: its first day, 00:00 UTC.
pub(crate) fn window_start_us(window: DeliveryWindow) -> i64 {
    window
        .start_date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(ARRIVAL_UNKNOWN, |z| z.timestamp().as_microsecond())
}

/// The arrival order of a shipment being created, which has no estimate yet.
pub(crate) fn of_new(status: ShipmentStatus, window: Option<DeliveryWindow>) -> i64 {
    if is_finished(status) {
        ARRIVAL_FINISHED
    } else {
        window.map_or(ARRIVAL_UNKNOWN, window_start_us)
    }
}

/// The statement that brings the arrival order of shipment `?1` (`$1`) up
/// to date with its status, estimate and window, writing the row only when
/// the order moves. `window_start_us` is the backend's SQL for
/// [`window_start_us`] of the column `window_start` (NULL without a window).
pub(crate) fn refresh_sql(window_start_us: &str, sigil: char) -> String {
    let order = format!(
        "CASE WHEN status >= {finished_from} THEN {ARRIVAL_FINISHED}
              ELSE COALESCE((SELECT p50 FROM estimate WHERE estimate.shipment_seq = shipment.seq),
                            {window_start_us}, {ARRIVAL_UNKNOWN}) END",
        finished_from = FINISHED_FROM.number()
    );
    format!(
        "UPDATE shipment SET arrival_order = {order} WHERE seq = {sigil}1 AND arrival_order <> {order}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_finished_statuses_are_those_numbered_from_delivered() {
        for status in ShipmentStatus::ALL {
            assert_eq!(
                is_finished(*status),
                status.number() >= FINISHED_FROM.number(),
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_new_shipment_is_ordered_by_its_window_or_last() {
        let window = DeliveryWindow::week_of("2026-03-25".parse().unwrap());
        let start = jiff::Timestamp::from_second(1_774_137_600).unwrap(); // 2026-03-22T00:00Z
        assert_eq!(
            of_new(ShipmentStatus::Working, Some(window)),
            start.as_microsecond()
        );
        assert_eq!(of_new(ShipmentStatus::Working, None), ARRIVAL_UNKNOWN);
        assert_eq!(
            of_new(ShipmentStatus::Cancelled, Some(window)),
            ARRIVAL_FINISHED
        );
        assert!(start.as_microsecond() < ARRIVAL_UNKNOWN);
    }
}
