//! The `WHERE` part of a query, built clause by clause, for both backends.
//! Each `?` of a clause becomes the next numbered placeholder in the
//! backend's spelling (`?n` for SQLite, `$n` for PostgreSQL). The statement
//! text is then the same for the same filters, so it can be prepared once.

use crate::{Principal, ShipmentQuery, ShipmentSort};

/// Shipments with a leg of the carrier `?` stands for.
pub(crate) const CARRIED_BY: &str = "seq IN (SELECT shipment_seq FROM leg WHERE carrier = ?)";

/// Shipments with an open exception of the kind `?` stands for (index
/// `exception_open_by_kind`).
pub(crate) const WITH_OPEN_EXCEPTION_OF_KIND: &str =
    "seq IN (SELECT shipment_seq FROM exception WHERE kind = ? AND resolved_at IS NULL)";

/// Shipments whose receiving closed short and whose seller has not yet asked
/// for a reconciliation: the predicate of index `shipment_received_short`,
/// spelled the same in both backends' migrations so the planner matches it.
pub(crate) const RECEIVED_SHORT: &str = "receiving_closed_at IS NOT NULL AND units_received < units_expected AND reconciliation_requested_at IS NULL";

/// The clause over `shipment`'s columns that keeps the shipments `viewer` may
/// see, with the text its one `?` stands for; `None` for the operator, who
/// sees every shipment.
pub(crate) fn viewer_scope(viewer: &Principal) -> Option<(&'static str, String)> {
    match viewer {
        Principal::Operator => None,
        Principal::Seller(seller) => Some(("seller_id = ?", seller.to_string())),
        Principal::Carrier(carrier) => Some((CARRIED_BY, carrier.to_string())),
    }
}

/// The column that, with `seq`, orders a listing in `sort`; its value is a
/// cursor's key.
pub(crate) fn sort_key(sort: ShipmentSort) -> &'static str {
    match sort {
        ShipmentSort::NewestUpdate | ShipmentSort::OldestUpdate => "updated_at",
        ShipmentSort::ArrivalSoonest => "arrival_order",
    }
}

/// The `ORDER BY` of a listing in `sort`: one index walked one way.
/// `arrival_tie_break` is the backend's column for `seq` in the arrival
/// index (see [`crate::sqlite`]'s schema for why SQLite's is another).
pub(crate) fn order_by(sort: ShipmentSort, arrival_tie_break: &str) -> String {
    match sort {
        ShipmentSort::NewestUpdate => "ORDER BY updated_at DESC, seq DESC".to_owned(),
        ShipmentSort::OldestUpdate => "ORDER BY updated_at ASC, seq ASC".to_owned(),
        ShipmentSort::ArrivalSoonest => {
            format!("ORDER BY arrival_order ASC, {arrival_tie_break} ASC")
        }
    }
}

/// The clause keeping the rows after a cursor of `sort`, whose `?1` is the
/// cursor's key and `?2` its sequence; `arrival_tie_break` as for
/// [`order_by`].
pub(crate) fn after_cursor(sort: ShipmentSort, arrival_tie_break: &str) -> String {
    match sort {
        ShipmentSort::NewestUpdate => "(updated_at, seq) < (?1, ?2)".to_owned(),
        ShipmentSort::OldestUpdate => "(updated_at, seq) > (?1, ?2)".to_owned(),
        ShipmentSort::ArrivalSoonest => format!("(arrival_order, {arrival_tie_break}) > (?1, ?2)"),
    }
}

/// Stops a listing whose cursor comes from another order (see
/// [`crate::Store::list_shipments`]).
pub(crate) fn assert_cursor_fits(query: &ShipmentQuery) {
    assert!(
        query.cursor_fits(),
        "a cursor of {:?} continues no listing in {:?}",
        query.cursor.map(|c| c.sort),
        query.sort
    );
}

/// Clauses joined by `AND`, with their parameters of type `V` in order.
pub(crate) struct Filter<V> {
    /// What starts a numbered placeholder: `?` or `$`.
    sigil: char,
    clauses: Vec<String>,
    values: Vec<V>,
}

impl<V> Filter<V> {
    /// An empty filter whose placeholders start with `sigil`.
    pub(crate) fn new(sigil: char) -> Self {
        Self {
            sigil,
            clauses: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds `clause`, every `?` of which stands for `value`.
    pub(crate) fn bind(&mut self, clause: &str, value: V) {
        self.values.push(value);
        self.clauses
            .push(clause.replace('?', &format!("{}{}", self.sigil, self.values.len())));
    }

    /// Adds `clause`, whose `?1`, `?2`, … stand for `values` in order.
    pub(crate) fn bind_all(&mut self, clause: &str, values: Vec<V>) {
        let base = self.values.len();
        let mut numbered = String::with_capacity(clause.len() + 8);
        let mut rest = clause;
        while let Some(at) = rest.find('?') {
            numbered.push_str(&rest[..at]);
            numbered.push(self.sigil);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: usize = rest[..digits].parse().unwrap_or(0);
            numbered.push_str(&(base + n).to_string());
            rest = &rest[digits..];
        }
        numbered.push_str(rest);
        self.values.extend(values);
        self.clauses.push(numbered);
    }

    /// Adds a clause without parameters.
    pub(crate) fn push(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// `WHERE a AND b …`, or nothing.
    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The parameters, in order.
    pub(crate) fn values(&self) -> &[V] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::Filter;

    #[test]
    fn filters_number_their_parameters_in_order_in_each_spelling() {
        for sigil in ['?', '$'] {
            let mut filter = Filter::new(sigil);
            for n in 0..9 {
                filter.bind("x = ?", n);
            }
            filter.bind_all("(a = ?1 OR b = ?2 OR c = ?1)", vec![10, 11]);
            filter.push("d = 1");
            let s = sigil;
            assert!(
                filter.sql().ends_with(&format!(
                    "x = {s}9 AND (a = {s}10 OR b = {s}11 OR c = {s}10) AND d = 1"
                )),
                "{}",
                filter.sql()
            );
            assert_eq!(filter.values().len(), 11);
            assert_eq!(Filter::<i32>::new(sigil).sql(), "");
        }
    }
}
