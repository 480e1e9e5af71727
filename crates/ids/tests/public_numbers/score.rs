//! Scores `tracklane_ids::check` against `tests/data/public_numbers.tsv`,
//! public test numbers this project did not write.
//!
//! Shared by the integration test `public_numbers` (which asserts the
//! figures) and the example `accuracy` (which prints them with every miss).
//! The scoring rules are written down in the data file's header; this module
//! implements exactly those rules.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use tracklane_ids::{Reason, check, normalize};

/// The data file, embedded so the figures do not depend on the working directory.
pub const DATA: &str = include_str!("../data/public_numbers.tsv");

/// One row of the data file.
#[derive(Debug, Clone)]
pub struct Row {
    /// The number as the source prints it.
    pub number: String,
    /// The source's verdict.
    pub is_valid: bool,
    /// Tracklane carrier code, or `None` for a carrier tracklane has no code for.
    pub carrier: Option<String>,
    /// Repository and path the number comes from.
    pub source: String,
    /// A carrier test-environment number that fails its carrier's published
    /// check digit (note "sandbox"); scored on its own.
    pub is_sandbox: bool,
}

/// Parses the data file; blank lines and `#` comments are skipped.
///
/// # Errors
/// A line without four or five tab-separated fields, or with a validity
/// other than `true`/`false` or a note other than `sandbox`, with its 1-based
/// line number.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (number, valid, carrier, source, note) = match fields[..] {
            [number, valid, carrier, source] => (number, valid, carrier, source, ""),
            [number, valid, carrier, source, note] => (number, valid, carrier, source, note),
            _ => {
                return Err(format!(
                    "line {}: expected 4 or 5 fields: {line:?}",
                    index + 1
                ));
            }
        };
        let is_sandbox = match note {
            "" => false,
            "sandbox" => true,
            other => return Err(format!("line {}: note {other:?}", index + 1)),
        };
        let is_valid = match valid {
            "true" => true,
            "false" => false,
            other => return Err(format!("line {}: validity {other:?}", index + 1)),
        };
        rows.push(Row {
            number: number.to_owned(),
            is_valid,
            carrier: (carrier != "-").then(|| carrier.to_owned()),
            source: source.to_owned(),
            is_sandbox,
        });
    }
    Ok(rows)
}

/// A row the library got wrong, with what it said.
#[derive(Debug, Clone)]
pub struct Miss {
    /// The row.
    pub row: Row,
    /// What went wrong: "decision" or "carrier".
    pub kind: &'static str,
    /// The verdict in one line: validity, carrier, service, reason code, and
    /// for a failed check digit the one expected.
    pub said: String,
}

/// Counts for one group of rows (a source, or everything).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Rows the source calls valid.
    pub valid: usize,
    /// Of those, judged valid.
    pub valid_correct: usize,
    /// Of those, judged valid with the expected carrier.
    pub carrier_correct: usize,
    /// Rows the source calls invalid.
    pub invalid: usize,
    /// Of those, not called valid for the source's carrier.
    pub invalid_correct: usize,
    /// Of those, not called valid at all (the stricter reading).
    pub invalid_strict: usize,
}

impl Tally {
    /// Correct valid/invalid decisions over all rows.
    pub fn decision_ratio(&self) -> f64 {
        ratio(
            self.valid_correct + self.invalid_correct,
            self.valid + self.invalid,
        )
    }

    /// Correct carriers over valid rows.
    pub fn carrier_ratio(&self) -> f64 {
        ratio(self.carrier_correct, self.valid)
    }

    fn add(&mut self, other: &Tally) {
        self.valid += other.valid;
        self.valid_correct += other.valid_correct;
        self.carrier_correct += other.carrier_correct;
        self.invalid += other.invalid;
        self.invalid_correct += other.invalid_correct;
        self.invalid_strict += other.invalid_strict;
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// The scored data: per source, in scope, out of scope, and the misses.
#[derive(Debug, Default)]
pub struct Report {
    /// Per source, in-scope rows only (not sandbox, carrier known).
    pub by_source: BTreeMap<String, Tally>,
    /// Every in-scope row: the asserted figures.
    pub in_scope: Tally,
    /// Rows of carriers tracklane has no code for.
    pub out_of_scope: Tally,
    /// Carrier test-environment numbers ("sandbox" rows).
    pub sandbox: Tally,
    /// Every row, whatever its scope: the plain figure.
    pub all: Tally,
    /// In-scope misses.
    pub misses: Vec<Miss>,
    /// Out-of-scope and sandbox misses, for information.
    pub misses_not_asserted: Vec<Miss>,
}

/// Checks every row and tallies the results by the rules in the data file.
pub fn score(rows: &[Row]) -> Report {
    // Carriers any row lists a normalised number as valid for.
    let mut valid_for: HashMap<String, Vec<&str>> = HashMap::new();
    for row in rows.iter().filter(|row| row.is_valid) {
        if let Some(carrier) = &row.carrier {
            valid_for
                .entry(normalize(&row.number))
                .or_default()
                .push(carrier);
        }
    }

    let mut report = Report::default();
    for row in rows {
        let verdict = check(&row.number);
        let mut said = format!(
            "{} {} {:?} {}",
            if verdict.valid { "valid" } else { "invalid" },
            verdict.carrier.unwrap_or("-"),
            verdict.service.unwrap_or("-"),
            verdict.reason.as_ref().map_or("", |reason| reason.code()),
        );
        if let Some(Reason::CheckDigit { expected, .. }) = verdict.reason {
            said.push_str(&format!(" (expected {expected})"));
        }
        let mut tally = Tally::default();
        let mut miss = None;
        if row.is_valid {
            tally.valid = 1;
            tally.valid_correct = usize::from(verdict.valid);
            let accepted = valid_for
                .get(verdict.normalized.as_ref())
                .map_or(&[][..], Vec::as_slice);
            let is_carrier_right = verdict.valid
                && verdict
                    .carrier
                    .is_some_and(|carrier| accepted.contains(&carrier));
            tally.carrier_correct = usize::from(is_carrier_right);
            if !verdict.valid {
                miss = Some("decision");
            } else if !is_carrier_right && row.carrier.is_some() {
                miss = Some("carrier");
            }
        } else {
            tally.invalid = 1;
            let is_claimed = verdict.valid
                && row
                    .carrier
                    .as_deref()
                    .is_some_and(|c| verdict.carrier == Some(c));
            tally.invalid_correct = usize::from(!is_claimed);
            tally.invalid_strict = usize::from(!verdict.valid);
            if is_claimed {
                miss = Some("decision");
            }
        }
        let miss = miss.map(|kind| Miss {
            row: row.clone(),
            kind,
            said,
        });
        report.all.add(&tally);
        if row.is_sandbox {
            report.sandbox.add(&tally);
            report.misses_not_asserted.extend(miss);
        } else if row.carrier.is_none() {
            report.out_of_scope.add(&tally);
            report.misses_not_asserted.extend(miss);
        } else {
            report.in_scope.add(&tally);
            report
                .by_source
                .entry(row.source.clone())
                .or_default()
                .add(&tally);
            report.misses.extend(miss);
        }
    }
    report
}

fn write_tally(f: &mut fmt::Formatter<'_>, name: &str, tally: &Tally) -> fmt::Result {
    writeln!(
        f,
        "{name}: {} numbers; decisions {}/{} = {:.1}% (valid {}/{}, invalid {}/{}, invalid-strict {}/{}); carrier {}/{} = {:.1}%",
        tally.valid + tally.invalid,
        tally.valid_correct + tally.invalid_correct,
        tally.valid + tally.invalid,
        tally.decision_ratio() * 100.0,
        tally.valid_correct,
        tally.valid,
        tally.invalid_correct,
        tally.invalid,
        tally.invalid_strict,
        tally.invalid,
        tally.carrier_correct,
        tally.valid,
        tally.carrier_ratio() * 100.0,
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (source, tally) in &self.by_source {
            write_tally(f, source, tally)?;
        }
        write_tally(f, "OVERALL (in scope, asserted)", &self.in_scope)?;
        write_tally(f, "UPS sandbox numbers (not asserted)", &self.sandbox)?;
        write_tally(
            f,
            "carriers without a tracklane code (not asserted)",
            &self.out_of_scope,
        )?;
        write_tally(f, "ALL ROWS (not asserted)", &self.all)?;
        for (title, misses) in [
            ("misses", &self.misses),
            (
                "misses not asserted (sandbox, no tracklane code)",
                &self.misses_not_asserted,
            ),
        ] {
            writeln!(f, "{title}: {}", misses.len())?;
            for miss in misses {
                writeln!(
                    f,
                    "  {:<8} {:?} expected {} {} ({}); said {}",
                    miss.kind,
                    miss.row.number,
                    if miss.row.is_valid {
                        "valid"
                    } else {
                        "invalid"
                    },
                    miss.row.carrier.as_deref().unwrap_or("-"),
                    miss.row.source,
                    miss.said,
                )?;
            }
        }
        Ok(())
    }
}
