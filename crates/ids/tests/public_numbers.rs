//! Accuracy on public test numbers this project did not write.
//!
//! The numbers, their sources and licences, and the scoring rules are in
//! `tests/data/public_numbers.tsv`; `public_numbers/score.rs` applies the
//! rules. Run the example `accuracy` to see every miss.
//!
//! The issue asks for at least 99% correct valid/invalid decisions and at
//! least 98% correct carriers (top-ranked candidate) on valid numbers. Both
//! are met: decisions 419/420 (99.8%), carriers 288/293 (98.3%).
//!
//! Two ranking rules for USPS-delivered consolidator labels were added after
//! reading this file's misses, so the carrier figure is not an out-of-sample
//! estimate for them:
//!
//! - A bare 22-digit channel-92 IMpb with a Parcel Select service type (748,
//!   or 612 and 419 as on FedEx's samples) ranks FedEx SmartPost first. Every
//!   bare 22-digit channel-92 number in the sources with those service types
//!   is filed under FedEx (jkeen's SmartPost definition, FedEx's Ground
//!   Economy mock numbers in Bloodhound, DuckDuckGo's FedEx test); USPS's own
//!   labels (Priority Mail 9205…, and the 420 + ZIP barcode form) stay USPS.
//!   Bloodhound also files Mailer ID 931487032 under DHL eCommerce, so a DHL
//!   label of that kind reads FedEx first, with USPS second and DHL eCommerce
//!   accepted when named.
//! - 20 digits starting 02 whose check digit counts a left-off 91 rank FedEx
//!   SmartPost first: FedEx's SmartPost job aid says the 20-digit form drops
//!   91 (older labels) or 92, FedEx lists 02931503799192766595 among its
//!   Ground Economy mock numbers, and no USPS 20-digit service code starts 02.
//!
//! The five misses left are numbers no published fact settles:
//!
//! - `420944019261299999877816190127` (DHL eCommerce, Bloodhound): the 420 +
//!   ZIP barcode of a channel-92 IMpb. The digits do not name the mailer;
//!   USPS, which tracks every IMpb, is the answer, and the candidate says a
//!   consolidator may have handed it over.
//! - `00 0123 4500 0000 0027`, twice (FedEx): an 18-digit SSCC. Any shipper's
//!   SSCC looks the same, and the GS1 examples taken from zint expect the
//!   generic SSCC, so SSCC stays first with FedEx Ground second.
//! - `425434057526` (DHL Paket, hegyi): 12 digits that pass both Purolator's
//!   Luhn check and Deutsche Post's Identcode check. The format table puts
//!   Purolator, which also fixes the first digit, before DHL Paket (see
//!   `formats.rs`), so Purolator is the top candidate. The other seven
//!   Identcodes of that spec pass only their own check and come out as DHL
//!   Paket.
//! - `01 030E 0928 06 011E 001E` (Deutsche Post, a decision miss): a
//!   Frankier-ID whose check character should be 4, not E. The rule, a CRC-4
//!   (x^4 + x + 1) over the ASCII codes of the first 19 characters, is the
//!   one public descriptions of Deutsche Post's DV-Freimachung specification
//!   give, and real letters' codes verify under it. The library reports the
//!   failed check digit; the invalid row ending in F stays invalid.
//!
//! The floors below are today's figures rounded down, so any regression
//! fails; raise them as the library improves, and do not lower them to pass.

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

/// Today's figures, rounded down: both above the 99% and 98% (see
/// the module docs for the misses left).
const DECISION_RATIO_MIN: f64 = 0.997;
const CARRIER_RATIO_MIN: f64 = 0.982;

#[test]
fn public_numbers_do_not_regress() {
    check(DECISION_RATIO_MIN, CARRIER_RATIO_MIN);
}

#[test]
fn data_file_is_sizeable_and_well_formed() {
    let rows = score::parse(score::DATA).expect("the data file parses");
    assert!(rows.len() >= 420, "{} rows", rows.len());
    assert!(rows.iter().all(|row| !row.source.is_empty()));
}
