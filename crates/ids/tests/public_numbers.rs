//! Accuracy on public test numbers this project did not write.
//!
//! The numbers, their sources and licences, and the scoring rules are in
//! `tests/data/public_numbers.tsv`; `public_numbers/score.rs` applies the
//! rules. Run the example `accuracy` to see every miss.
//!
//! The issue asks for at least 99% correct valid/invalid decisions and at
//! least 98% correct carriers (top-ranked candidate) on valid numbers. The
//! decisions meet it (419/420, 99.8%); the carriers do not (283/293, 96.6%).
//! The ten misses left are numbers no published fact settles:
//!
//! - `9261292700768711948021` and `9261293148703201595357` (FedEx),
//!   `420944019261299999877816190127` (DHL eCommerce) and
//!   `9241990100130206401644` (FedEx, DuckDuckGo's FedEx goodie test) are
//!   channel-92 IMpbs: a commercial mailer's label that USPS delivers. The
//!   digits do not name the mailer. Bloodhound's own lists put Mailer ID
//!   931487032 under FedEx and under DHL, and Mailer ID 927005269 with service
//!   type 612 under USPS and under DHL; jkeen/tracking_number_data 2.0 folded
//!   its FedEx SmartPost and DHL eCommerce definitions into one USPS IMpb
//!   definition. tracklane answers USPS, which tracks every IMpb, lists FedEx
//!   SmartPost where the 22-digit layout fits, and says a consolidator may
//!   have handed it over.
//! - `02931503799192766595` (FedEx, Bloodhound) and `02185456301070647003`
//!   ("SmartPost (FedEx + USPS)", php-parcel-tracker): 20 digits whose check
//!   digit verifies only with a leading 91 (an IMpb printed without its 91),
//!   not with SmartPost's 92. Nothing published ties them to FedEx, and
//!   jkeen/tracking_number_data 2.0 reads channel 91 as legacy USPS.
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

/// Today's figures, rounded down: decisions above the 99%, carriers
/// below its 98% (see the module docs for the misses left).
const DECISION_RATIO_MIN: f64 = 0.997;
const CARRIER_RATIO_MIN: f64 = 0.965;

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
