//! Accuracy on public test numbers this project did not write.
//!
//! The numbers, their sources and licences, and the scoring rules are in
//! `tests/data/public_numbers.tsv`; `public_numbers/score.rs` applies the
//! rules. Run the example `accuracy` to see every miss.
//!
//! The issue asks for at least 99% correct valid/invalid decisions and at
//! least 98% correct carriers (top-ranked candidate) on valid numbers. The
//! decisions meet it (274/276, 99.3%); the carriers do not yet (183/193,
//! 94.8%). Most carrier misses are shapes two carriers share (a
//! 22-digit "92" IMpb is USPS or FedEx SmartPost, "00" + 18 digits is any
//! SSCC or FedEx Ground's), where the sources pick one and tracklane the
//! other. The floors below are today's figures, so any regression fails; raise
//! them as the library improves, and do not lower them to pass.

#[path = "public_numbers/score.rs"]
mod score;

/// Scores the data file and asserts the two thresholds.
fn check(decision_ratio_min: f64, carrier_ratio_min: f64) {
    let rows = score::parse(score::DATA).expect("the data file parses");
    let report = score::score(&rows);
    println!("{report}");
    assert!(
        report.in_scope.decision_ratio() >= decision_ratio_min,
        "decisions {:.3} < {decision_ratio_min}\n{report}",
        report.in_scope.decision_ratio()
    );
    assert!(
        report.in_scope.carrier_ratio() >= carrier_ratio_min,
        "carriers {:.3} < {carrier_ratio_min}\n{report}",
        report.in_scope.carrier_ratio()
    );
}

/// The target for decisions, met; today's figure for carriers,
/// rounded down (see the module docs for the target).
const DECISION_RATIO_MIN: f64 = 0.99;
const CARRIER_RATIO_MIN: f64 = 0.948;

#[test]
fn public_numbers_do_not_regress() {
    check(DECISION_RATIO_MIN, CARRIER_RATIO_MIN);
}

#[test]
fn data_file_is_sizeable_and_well_formed() {
    let rows = score::parse(score::DATA).expect("the data file parses");
    assert!(rows.len() >= 250, "{} rows", rows.len());
    assert!(rows.iter().all(|row| !row.source.is_empty()));
}
