//! Detection: match a normalised number against the format table, rank the
//! matches, decide validity and explain failures with a likely correction.
//!
//! Checking a number that arrives normalised allocates nothing unless its
//! check digit fails (the suggestion is a new string): formats are picked by
//! bit masks over the table (by length and by first character), matches are
//! collected in a fixed array, the verdict borrows the input and keeps the
//! ranked formats inline ([`Listing`]), and the typo search tests each
//! adjacent transposition in constant time by adjusting the check-digit sum
//! (see `checksum`).

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::checksum::Scheme;
use crate::country;
use crate::formats::{
    ACCEPTS, BY_FIRST, BY_LENGTH, FORMATS, FORMATS_MAX, Family, Format, FormatSet, LENGTH_MAX,
    LENGTH_MIN, Tier, first_slot,
};
use crate::normalize::normalize_checked;
use crate::verdict::{Candidate, Fix, Reason, Verdict};

/// The most candidates a verdict lists; the rest are bare digit-run shapes
/// that add nothing a person can act on.
pub(crate) const CANDIDATES_MAX: usize = 8;

/// Length bounds that make a number "plausible" for a carrier we have no
/// format for.
pub(crate) const PLAUSIBLE_LENGTH_MIN: usize = 6;
pub(crate) const PLAUSIBLE_LENGTH_MAX: usize = 40;

/// How one format judged one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Shape fits and the check digit matches.
    Verified,
    /// Shape fits; the format has no check digit.
    Shape,
    /// Shape fits but the check digit should be `expected`.
    Failed { expected: u8 },
}

/// A format that matched the number's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hit {
    index: u8,
    outcome: Outcome,
}

impl Hit {
    /// A placeholder for the unused slots of fixed arrays of hits.
    const UNUSED: Hit = Hit {
        index: 0,
        outcome: Outcome::Shape,
    };

    fn format(self) -> &'static Format {
        &FORMATS[usize::from(self.index)]
    }

    fn fits(self) -> bool {
        !matches!(self.outcome, Outcome::Failed { .. })
    }

    /// Lower is better: verified, distinctive shape, failed check digit, bare
    /// digit run. A failed check digit outranks a bare digit run because the
    /// failure says more about what the number was meant to be.
    fn rank(self) -> u8 {
        match self.outcome {
            Outcome::Verified => 0,
            Outcome::Shape if self.format().tier == Tier::Distinctive => 1,
            Outcome::Failed { .. } => 2,
            Outcome::Shape => 3,
        }
    }

    /// The carrier: the format's, or for S10 the operator of the country.
    fn carrier(self, number: &[u8]) -> &'static str {
        let format = self.format();
        if format.family == Family::S10 {
            s10_country(number).map_or(format.carrier, |code| {
                country::s10_operator(code, number[0])
            })
        } else {
            format.carrier
        }
    }
}

fn s10_country(number: &[u8]) -> Option<&'static str> {
    number
        .get(number.len().wrapping_sub(2)..)
        .and_then(country::country)
}

/// The most formats that can match one number: no length and first
/// character pair is shared by more (a unit test checks the table).
const HITS_MAX: usize = 16;

/// The matches for one number, ranked best first.
struct Hits {
    items: [Hit; HITS_MAX],
    len: usize,
}

impl Hits {
    fn new() -> Hits {
        Hits {
            items: [Hit::UNUSED; HITS_MAX],
            len: 0,
        }
    }

    fn as_slice(&self) -> &[Hit] {
        &self.items[..self.len]
    }
}

/// Matches `number` (normalised, `A–Z0–9`, at most `LENGTH_MAX` long) against
/// every format of its length. Formats that only count when named are
/// included when `named` is their carrier.
///
/// Fills `hits` in place rather than returning it: the array is copied
/// otherwise, which showed up in profiles.
fn match_all(number: &[u8], named: Option<&str>, hits: &mut Hits) {
    hits.len = 0;
    let is_digits = number.iter().all(u8::is_ascii_digit);
    let mut mask = candidate_formats(number);
    while mask != 0 && hits.len < HITS_MAX {
        let index = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        let format = &FORMATS[index];
        if !format.detect && named != Some(format.carrier) {
            continue;
        }
        if (format.digits_only && !is_digits) || !(format.shape)(number) {
            continue;
        }
        let outcome = match format.check {
            None => Outcome::Shape,
            Some(check) => {
                let at = check.at(number.len());
                match check.scheme.expected(&number[usize::from(check.start)..at]) {
                    Some(expected) if expected == number[at] => Outcome::Verified,
                    Some(expected) => Outcome::Failed { expected },
                    // A character the scheme refuses: the shape does not really fit.
                    None => continue,
                }
            }
        };
        // `index` < FORMATS_MAX = 128, so it fits in a u8.
        debug_assert!(index < FORMATS_MAX);
        hits.items[hits.len] = Hit {
            index: index as u8,
            outcome,
        };
        hits.len += 1;
    }
    // Stable insertion sort by rank; table order breaks ties because hits were
    // collected in index order.
    let items = &mut hits.items[..hits.len];
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && items[j - 1].rank() > items[j].rank() {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The formats worth trying on `number`: those accepting its length and its
/// first character, as a bit mask over table indexes.
fn candidate_formats(number: &[u8]) -> FormatSet {
    let by_length = BY_LENGTH.get(number.len()).copied().unwrap_or(0);
    let by_first = number
        .first()
        .and_then(|&c| first_slot(c))
        .map_or(0, |slot| BY_FIRST[slot]);
    by_length & by_first
}

/// Whether a number of `hit_carrier` counts as `named`'s. China Post runs EMS,
/// and `UPU` stands for every postal operator.
fn same_carrier(named: &str, hit_carrier: &str, hit: Hit) -> bool {
    named == hit_carrier
        || (named == "UPU" && hit.format().family == Family::S10)
        || (matches!(named, "CHINA_POST" | "CHINA_EMS")
            && matches!(hit_carrier, "CHINA_POST" | "CHINA_EMS"))
}

fn accepts(named: &str, family: Family) -> bool {
    ACCEPTS
        .iter()
        .any(|&(carrier, accepted)| carrier == named && accepted == family)
}

/// See [`crate::check_for`].
pub(crate) fn check_for<'a>(input: &'a str, carrier: Option<&str>) -> Verdict<'a> {
    let (normalized, is_alphanumeric) = normalize_checked(input);
    let mut verdict = Verdict {
        input,
        normalized,
        valid: false,
        carrier: None,
        service: None,
        listing: Listing::EMPTY,
        reason: None,
        suggestion: None,
        fix: None,
    };

    // Names are matched case-insensitively; a blank name counts as none.
    // `Some(None)` is a name that is not one of ours.
    let named = carrier
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(crate::find_carrier);
    let is_unknown_name = matches!(named, Some(None));
    let named = named.flatten();

    if verdict.normalized.is_empty() {
        verdict.reason = Some(Reason::Empty);
        return verdict;
    }
    // Every byte before the first bad one is ASCII, so the byte index is also
    // the character index, and a non-ASCII character starts at that byte.
    let first_bad = if is_alphanumeric {
        None
    } else {
        verdict
            .normalized
            .bytes()
            .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit()))
    };
    if let Some(index) = first_bad
        && let Some(character) = verdict.normalized[index..].chars().next()
    {
        verdict.reason = Some(Reason::BadCharacters {
            position: index + 1,
            character,
        });
        return verdict;
    }
    // Only A–Z0–9 from here on, so bytes and characters coincide.
    let number = verdict.normalized.as_bytes();
    let length = number.len();
    if is_placeholder(number) {
        verdict.reason = Some(Reason::Placeholder);
        return verdict;
    }

    if is_unknown_name {
        // No format for this carrier: accept anything plausible, but still
        // list what the number looks like.
        let mut hits = Hits::new();
        match_all(number, None, &mut hits);
        verdict.listing = Listing::of(hits.as_slice(), false);
        verdict.reason = if length < PLAUSIBLE_LENGTH_MIN {
            Some(Reason::TooShort {
                length,
                length_min: PLAUSIBLE_LENGTH_MIN,
            })
        } else if length > PLAUSIBLE_LENGTH_MAX {
            Some(Reason::TooLong {
                length,
                length_max: PLAUSIBLE_LENGTH_MAX,
            })
        } else {
            None
        };
        verdict.valid = verdict.reason.is_none();
        return verdict;
    }

    if length < LENGTH_MIN {
        verdict.reason = Some(Reason::TooShort {
            length,
            length_min: LENGTH_MIN,
        });
        return verdict;
    }
    if length > LENGTH_MAX {
        verdict.reason = Some(Reason::TooLong {
            length,
            length_max: LENGTH_MAX,
        });
        return verdict;
    }

    let mut hits = Hits::new();
    match_all(number, named, &mut hits);
    let hits = hits.as_slice();
    match named {
        None => judge_unnamed(&mut verdict, hits),
        Some(named) => judge_named(&mut verdict, hits, named),
    }
    verdict
}

/// Characters a placeholder may keep before its zeros: a carrier prefix
/// such as `96` or `1Z`.
const PLACEHOLDER_PREFIX_MAX: usize = 2;

/// Whether `number` is zeros after its first [`PLACEHOLDER_PREFIX_MAX`]
/// characters, and long enough to be meant as a tracking number.
fn is_placeholder(number: &[u8]) -> bool {
    number.len() >= LENGTH_MIN && number[PLACEHOLDER_PREFIX_MAX..].iter().all(|&b| b == b'0')
}

fn judge_unnamed(verdict: &mut Verdict, hits: &[Hit]) {
    let number = verdict.normalized.as_bytes();
    let Some(&best) = hits.first() else {
        verdict.reason = Some(length_hint(number, None).unwrap_or(Reason::UnknownFormat));
        return;
    };
    verdict.carrier = Some(best.carrier(number));
    verdict.service = Some(best.format().service);
    verdict.valid = best.fits();
    if !best.fits() {
        explain_failure(verdict, best);
    }
    verdict.listing = Listing::of(hits, !verdict.valid);
}

fn judge_named(verdict: &mut Verdict, hits: &[Hit], named: &'static str) {
    let number = verdict.normalized.as_bytes();
    let named_failed = hits
        .iter()
        .any(|hit| !hit.fits() && same_carrier(named, hit.carrier(number), *hit));

    // The named carrier's own formats first; a bare digit run does not count
    // when one of its check-digit formats failed.
    let own = hits.iter().position(|hit| {
        hit.fits()
            && same_carrier(named, hit.carrier(number), *hit)
            && !(named_failed
                && hit.format().tier == Tier::Generic
                && hit.outcome == Outcome::Shape)
    });
    // Then another network's number that the named carrier ships under.
    let accepted = || {
        hits.iter()
            .position(|hit| hit.fits() && hit.rank() <= 1 && accepts(named, hit.format().family))
    };

    if let Some(position) = own {
        let hit = hits[position];
        verdict.valid = true;
        verdict.carrier = Some(named);
        verdict.service = Some(hit.format().service);
        // Failed hits are left out, so find the hit's place among the fitting ones.
        let position = hits[..position].iter().filter(|hit| hit.fits()).count();
        verdict.listing = Listing::of(hits, false);
        verdict.listing.move_to_front(position);
    } else if let Some(position) = accepted() {
        let hit = hits[position];
        verdict.valid = true;
        verdict.carrier = Some(named);
        verdict.service = Some(hit.format().service);
        verdict.listing = Listing::of(hits, false);
        verdict.listing.insert_via(hit, named);
    } else if let Some(position) = hits.iter().position(|hit| {
        !hit.fits()
            && (same_carrier(named, hit.carrier(number), *hit)
                || accepts(named, hit.format().family))
    }) {
        let hit = hits[position];
        verdict.carrier = Some(named);
        verdict.service = Some(hit.format().service);
        explain_failure(verdict, hit);
        verdict.listing = Listing::of(hits, true);
        verdict.listing.move_to_front(position);
    } else {
        let fits = fitting_carriers(number, hits);
        verdict.listing = Listing::of(hits, true);
        let best = verdict.listing.first();
        verdict.carrier = best.map(|hit| hit.carrier(number));
        verdict.service = best.map(|hit| hit.format().service);
        verdict.reason = Some(match length_hint(number, Some(named)) {
            Some(hint) if fits.is_empty() => hint,
            _ => Reason::CarrierMismatch {
                named: named.to_owned(),
                fits,
            },
        });
    }
}

/// Distinct carriers of the hits that fit, best first.
fn fitting_carriers(number: &[u8], hits: &[Hit]) -> Vec<&'static str> {
    let mut carriers: Vec<&'static str> = Vec::new();
    for hit in hits.iter().filter(|hit| hit.fits()) {
        let carrier = hit.carrier(number);
        if !carriers.contains(&carrier) {
            carriers.push(carrier);
        }
    }
    carriers
}

/// When nothing fits but the number starts with a format's literal prefix,
/// the length is the likely problem: "1Z" + 15 characters is one short.
fn length_hint(number: &[u8], named: Option<&str>) -> Option<Reason> {
    let length = number.len();
    FORMATS
        .iter()
        .filter(|format| {
            !format.prefix.is_empty() && named.is_none_or(|named| named == format.carrier)
        })
        .find(|format| number.starts_with(format.prefix.as_bytes()))
        .and_then(|format| {
            if length < usize::from(format.len_min) {
                Some(Reason::TooShort {
                    length,
                    length_min: usize::from(format.len_min),
                })
            } else if length > usize::from(format.len_max) {
                Some(Reason::TooLong {
                    length,
                    length_max: usize::from(format.len_max),
                })
            } else {
                None
            }
        })
}

/// The formats a verdict lists, best first, as table indexes and outcomes.
/// Building each [`Candidate`] (its carrier, country and explanation) waits
/// until someone asks ([`Verdict::candidates`]): the checks at the entry
/// points read the verdict's carrier and reason, never the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listing {
    hits: [Hit; CANDIDATES_MAX],
    len: u8,
    /// The carrier the caller named, when it ships under the first hit's
    /// number rather than having a format of its own (see `judge_named`).
    via: Option<&'static str>,
}

impl Listing {
    pub(crate) const EMPTY: Listing = Listing {
        hits: [Hit::UNUSED; CANDIDATES_MAX],
        len: 0,
        via: None,
    };

    /// The list for a verdict. Failed check digits only explain an invalid
    /// number; next to a valid reading they are noise, so a valid verdict
    /// leaves them out (`with_failed` false).
    fn of(hits: &[Hit], with_failed: bool) -> Listing {
        let mut list = Listing::EMPTY;
        for &hit in hits.iter().filter(|hit| with_failed || hit.fits()) {
            if usize::from(list.len) == CANDIDATES_MAX {
                break;
            }
            list.hits[usize::from(list.len)] = hit;
            list.len += 1;
        }
        list
    }

    fn as_slice(&self) -> &[Hit] {
        &self.hits[..usize::from(self.len)]
    }

    fn first(&self) -> Option<Hit> {
        self.as_slice().first().copied()
    }

    fn move_to_front(&mut self, position: usize) {
        if position < usize::from(self.len) {
            self.hits[..=position].rotate_right(1);
        }
    }

    /// Puts `hit` first as the number `named` ships under, dropping the last
    /// entry when the list is full.
    fn insert_via(&mut self, hit: Hit, named: &'static str) {
        let len = (usize::from(self.len) + 1).min(CANDIDATES_MAX);
        self.hits[..len].rotate_right(1);
        self.hits[0] = hit;
        self.len = len as u8;
        self.via = Some(named);
    }

    /// The candidates of `number`, the normalised number the list was made for.
    pub(crate) fn build(&self, number: &[u8]) -> Vec<Candidate> {
        let mut list: Vec<Candidate> = self
            .as_slice()
            .iter()
            .map(|&hit| candidate(number, hit))
            .collect();
        if let (Some(named), Some(via)) = (self.via, list.first_mut()) {
            via.carrier = named;
            let why = via.why.to_mut();
            why.push_str("; ");
            why.push_str(crate::carrier_name(named, crate::Lang::En));
            why.push_str(" ships under this number");
        }
        list
    }
}

fn candidate(number: &[u8], hit: Hit) -> Candidate {
    let format = hit.format();
    let note = impb_note(number, hit);
    let why = match hit.outcome {
        Outcome::Failed { expected } => {
            Cow::Owned(why_text(format, hit.outcome, NOTES[note], Some(expected)))
        }
        Outcome::Verified => Cow::Borrowed(WHYS[usize::from(hit.index)][note].as_str()),
        Outcome::Shape => Cow::Borrowed(WHYS[usize::from(hit.index)][NOTES.len() + note].as_str()),
    };
    let (carrier, country) = match (format.family, s10_country(number)) {
        (Family::S10, Some(code)) => (country::s10_operator(code, number[0]), Some(code)),
        _ => (format.carrier, None),
    };
    Candidate {
        carrier,
        service: format.service,
        why,
        check_digit_verified: hit.outcome == Outcome::Verified,
        country,
        fits: hit.fits(),
    }
}

/// The notes a candidate's explanation may end with, by [`impb_note`]'s index.
const NOTES: [&str; 3] = ["", IMPB_NOTE_92, IMPB_NOTE_93];

/// Every fitting format's explanation, built once: a row per format, a
/// column per outcome (verified, then shape) and note, so that a valid
/// number's candidates borrow their text rather than each building a string.
static WHYS: LazyLock<Vec<[String; 2 * NOTES.len()]>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|format| {
            std::array::from_fn(|slot| {
                let outcome = if slot < NOTES.len() {
                    Outcome::Verified
                } else {
                    Outcome::Shape
                };
                why_text(format, outcome, NOTES[slot % NOTES.len()], None)
            })
        })
        .collect()
});

/// "Shape; check-digit outcome[ expected][; note]", in English.
fn why_text(format: &Format, outcome: Outcome, note: &str, expected: Option<u8>) -> String {
    let suffix = match (outcome, format.check.map(|check| check.scheme)) {
        (Outcome::Verified, Some(scheme)) => scheme.matches_text(),
        (Outcome::Failed { .. }, Some(scheme)) => scheme.fails_text(),
        _ => "; this format has no check digit",
    };
    let mut why = String::with_capacity(format.description.len() + suffix.len() + note.len() + 1);
    why.push_str(format.description);
    why.push_str(suffix);
    if let Some(expected) = expected {
        why.push(char::from(expected));
    }
    why.push_str(note);
    why
}

/// Why a USPS IMpb may have been handed over by someone else. Channel
/// application identifiers 92 and 93 mark a commercial mailer's label (USPS
/// Publication 199: 92 with a 9-digit Mailer ID, 93 with a 6-digit one), and
/// parcel consolidators hand such parcels to USPS for the last mile. Nothing
/// in the digits names the consolidator for certain: USPS, which tracks
/// every IMpb, stays a reading (first unless the service type is one FedEx
/// SmartPost labels carry, see `formats.rs`) and the note says who else may
/// have the parcel.
///
/// Returns the note's index in [`NOTES`], 0 for none.
fn impb_note(number: &[u8], hit: Hit) -> usize {
    let format = hit.format();
    if format.family != Family::Impb || format.carrier != "USPS" {
        return 0;
    }
    // The check digit covers the IMpb from its channel on, after any 420 + ZIP.
    let Some(check) = format.check else {
        return 0;
    };
    let start = usize::from(check.start);
    match number.get(start..start + 2) {
        Some(b"92") => 1,
        Some(b"93") => 2,
        _ => 0,
    }
}

const IMPB_NOTE_92: &str = "; channel 92 is a commercial mailer's label, so a consolidator \
     (FedEx SmartPost, DHL eCommerce, UPS Mail Innovations) may have handed it to USPS";
const IMPB_NOTE_93: &str = "; channel 93 is a commercial mailer's label, so another company \
     may have handed it to USPS";

/// Fills in the check-digit reason and the most likely correction for a hit
/// whose check digit failed.
fn explain_failure(verdict: &mut Verdict, hit: Hit) {
    let Outcome::Failed { expected } = hit.outcome else {
        return;
    };
    let Some(check) = hit.format().check else {
        return;
    };
    let number = verdict.normalized.as_bytes();
    let at = check.at(number.len());
    verdict.reason = Some(Reason::CheckDigit {
        position: at + 1,
        expected: char::from(expected),
        found: char::from(number[at]),
    });
    let mut corrected = [0u8; LENGTH_MAX];
    let corrected = &mut corrected[..number.len()];
    corrected.copy_from_slice(number);
    let fix = match unique_transposition(number, hit) {
        Some(position) => {
            corrected.swap(position, position + 1);
            Fix::Transposition {
                position: position + 1,
            }
        }
        None => {
            corrected[at] = expected;
            Fix::CheckDigit { position: at + 1 }
        }
    };
    // `corrected` is ASCII (A–Z0–9 from the number plus an ASCII check
    // character), so the conversion cannot fail.
    verdict.suggestion = String::from_utf8(corrected.to_vec()).ok();
    verdict.fix = Some(fix);
}

/// The 0-based index `i` of the only adjacent pair (`i`, `i + 1`) among the
/// payload and check digit whose swap makes the number valid for the hit's
/// format; `None` when no swap or several swaps do.
fn unique_transposition(number: &[u8], hit: Hit) -> Option<usize> {
    let format = hit.format();
    let check = format.check?;
    // Spelled out per scheme so each search loop is specialised, as in
    // `Scheme::expected`.
    match check.scheme {
        Scheme::Gs1 { bias } => search(number, format, Scheme::Gs1 { bias }),
        Scheme::Ups => search(number, format, Scheme::Ups),
        Scheme::FedEx => search(number, format, Scheme::FedEx),
        Scheme::S10 => search(number, format, Scheme::S10),
        Scheme::Mod7 => search(number, format, Scheme::Mod7),
        Scheme::Iso6346 => search(number, format, Scheme::Iso6346),
        Scheme::Luhn => search(number, format, Scheme::Luhn),
        Scheme::Identcode => search(number, format, Scheme::Identcode),
        Scheme::Mod37_36 => search(number, format, Scheme::Mod37_36),
        Scheme::Crc4 => search(number, format, Scheme::Crc4),
    }
}

/// [`unique_transposition`] for a format whose check uses `scheme`.
#[inline(always)]
fn search(number: &[u8], format: &Format, scheme: Scheme) -> Option<usize> {
    let check = format.check?;
    let start = usize::from(check.start);
    let at = check.at(number.len());
    let payload = &number[start..at];
    let payload_len = payload.len();

    let mut terms = [0u32; LENGTH_MAX];
    let mut sum = scheme.bias();
    if scheme.is_additive() {
        for (index, &c) in payload.iter().enumerate() {
            terms[index] = scheme.term(index, payload_len, c)?;
            sum += terms[index];
        }
    }
    // `sum` stays unreduced so that taking two terms out never underflows.

    let mut buffer = [0u8; LENGTH_MAX];
    let mut found = None;
    for i in start..at {
        let (a, b) = (number[i], number[i + 1]);
        if a == b
            || (a.is_ascii_digit() != b.is_ascii_digit() && !scheme.swaps_letters_with_digits())
        {
            continue;
        }
        let swap_fixes = if !scheme.is_additive() {
            let buffer = &mut buffer[..number.len()];
            buffer.copy_from_slice(number);
            buffer.swap(i, i + 1);
            scheme.expected(&buffer[start..at]) == Some(buffer[at])
        } else if i + 1 < at {
            let index = i - start;
            let (Some(term_a), Some(term_b)) = (
                scheme.term(index, payload_len, b),
                scheme.term(index + 1, payload_len, a),
            ) else {
                continue;
            };
            let swapped = sum - terms[index] - terms[index + 1] + term_a + term_b;
            scheme.finish(swapped) == number[at]
        } else {
            // The last payload character trades places with the check digit.
            let index = i - start;
            let Some(term) = scheme.term(index, payload_len, b) else {
                continue;
            };
            let swapped = sum - terms[index] + term;
            scheme.finish(swapped) == a
        };
        if !swap_fixes {
            continue;
        }
        let buffer = &mut buffer[..number.len()];
        buffer.copy_from_slice(number);
        buffer.swap(i, i + 1);
        if !(format.shape)(buffer) {
            continue;
        }
        if found.is_some() {
            return None;
        }
        found = Some(i);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs detection without a named carrier and compares
    /// (valid, carrier, service, reason code, suggestion).
    fn check(
        input: &str,
        expected: (bool, Option<&str>, Option<&str>, Option<&str>, Option<&str>),
    ) {
        let verdict = check_for(input, None);
        let actual = (
            verdict.valid,
            verdict.carrier,
            verdict.service,
            verdict.reason.as_ref().map(Reason::code),
            verdict.suggestion.as_deref(),
        );
        assert_eq!(actual, expected, "{input}: {verdict:#?}");
    }

    #[test]
    fn hits_never_overflow() {
        let mut most = 0;
        for by_length in BY_LENGTH {
            for by_first in BY_FIRST {
                most = most.max((by_length & by_first).count_ones() as usize);
            }
        }
        assert!(
            most <= HITS_MAX,
            "{most} formats share a length and first character"
        );
    }

    #[test]
    fn zeros_after_a_prefix_are_a_placeholder() {
        let placeholder = (false, None, None, Some("tracking_number.placeholder"), None);
        check("000000000000000", placeholder);
        check("96 0000 0000 0000 0000 0000", placeholder);
        check("1Z0000000000000000", placeholder);
        let verdict = check_for("0000000000", Some("FEDEX"));
        assert_eq!(verdict.reason, Some(Reason::Placeholder), "{verdict:#?}");
        // One real digit past the prefix is enough to be judged as a number.
        assert_ne!(
            check_for("000000000000001", None).reason,
            Some(Reason::Placeholder)
        );
    }

    #[test]
    fn valid_numbers() {
        check(
            "1Z999AA10123456784",
            (true, Some("UPS"), Some("UPS 1Z"), None, None),
        );
        check(
            "RA123456785CN",
            (true, Some("CHINA_POST"), Some("UPU S10"), None, None),
        );
        check(
            "EA123456785CN",
            (true, Some("CHINA_EMS"), Some("UPU S10"), None, None),
        );
        check(
            "986578788855",
            (true, Some("FEDEX"), Some("FedEx Express"), None, None),
        );
        check(
            "3318810025",
            (true, Some("DHL"), Some("DHL Express"), None, None),
        );
        check(
            "CSQU3054383",
            (
                true,
                Some("CONTAINER"),
                Some("ISO 6346 container"),
                None,
                None,
            ),
        );
    }

    #[test]
    fn check_digit_typo_in_the_check_digit_itself() {
        check(
            "1Z999AA10123456785",
            (
                false,
                Some("UPS"),
                Some("UPS 1Z"),
                Some("tracking_number.check_digit"),
                Some("1Z999AA10123456784"),
            ),
        );
    }

    #[test]
    fn adjacent_transposition_is_found() {
        // 1Z879E930346834440 with the 3 and the 0 at positions 9 and 10 swapped;
        // no other single swap repairs it.
        check(
            "1Z879E933046834440",
            (
                false,
                Some("UPS"),
                Some("UPS 1Z"),
                Some("tracking_number.check_digit"),
                Some("1Z879E930346834440"),
            ),
        );
        let verdict = check_for("1Z879E933046834440", None);
        assert_eq!(verdict.fix, Some(Fix::Transposition { position: 9 }));
    }

    #[test]
    fn ambiguous_transposition_falls_back_to_the_check_digit() {
        // 1Z999AA10123456784 with the 7 and 8 swapped: in a run like 0123456
        // many neighbouring swaps repair the sum, so none is singled out.
        check(
            "1Z999AA10123456874",
            (
                false,
                Some("UPS"),
                Some("UPS 1Z"),
                Some("tracking_number.check_digit"),
                Some("1Z999AA10123456873"),
            ),
        );
        let verdict = check_for("1Z999AA10123456874", None);
        assert_eq!(verdict.fix, Some(Fix::CheckDigit { position: 18 }));
    }

    #[test]
    fn transposition_with_the_check_digit() {
        // CSQU3054383 with its last two digits swapped.
        let verdict = check_for("CSQU3054338", None);
        assert_eq!(verdict.suggestion.as_deref(), Some("CSQU3054383"));
        assert_eq!(verdict.fix, Some(Fix::Transposition { position: 10 }));
    }

    #[test]
    fn ups_waybill() {
        // An example of jkeen/tracking_number_data's "UPS Waybill" definition.
        check(
            "K1506235620",
            (true, Some("UPS"), Some("UPS waybill"), None, None),
        );
        // The same number with the 6 and 2 of its serial swapped.
        check(
            "K1502635620",
            (
                false,
                Some("UPS"),
                Some("UPS waybill"),
                Some("tracking_number.check_digit"),
                Some("K1506235620"),
            ),
        );
    }

    /// The carriers of the candidates, best first.
    fn carriers(input: &str) -> Vec<&'static str> {
        check_for(input, None)
            .candidates()
            .iter()
            .map(|candidate| candidate.carrier)
            .collect()
    }

    #[test]
    fn the_narrower_of_two_verified_formats_ranks_first() {
        // Constructed so that Purolator's Luhn digit and FedEx's mod-11 digit
        // both match: Purolator's shape also fixes the first digit.
        assert_eq!(carriers("012345670033"), ["PUROLATOR", "FEDEX", "GLS"]);
        // FedEx's published example starts with 0 but fails Luhn: FedEx alone.
        assert_eq!(carriers("012345678983"), ["FEDEX", "DHL_PARCEL", "GLS"]);
    }

    #[test]
    fn a_commercial_mailers_impb_says_who_else_may_have_it() {
        let why = |input: &str| check_for(input, None).candidates()[0].why.clone();
        // Constructed in Publication 199's layouts: channel 92, service type,
        // 9-digit Mailer ID, 7-digit serial; channel 93 with a 6-digit Mailer
        // ID and a 10-digit serial; and the first behind 420 + ZIP.
        let channel_92 = "channel 92 is a commercial mailer's label";
        assert!(why("9205590000000100000018").contains(channel_92));
        assert!(why("420221539205590000000100000018").contains(channel_92));
        assert!(
            why("9361212345600000000017").contains("channel 93 is a commercial mailer's label")
        );
        // Channel 94 is not a commercial mailer's channel: no note.
        assert!(!why("9400111202555842332669").contains("channel"));
    }

    #[test]
    fn unknown_and_length_problems() {
        check(
            "ABCDEFGHIJ",
            (
                false,
                None,
                None,
                Some("tracking_number.unknown_format"),
                None,
            ),
        );
        check(
            "1Z999AA1012345678",
            (false, None, None, Some("tracking_number.too_short"), None),
        );
        check(
            "123",
            (false, None, None, Some("tracking_number.too_short"), None),
        );
        check(
            &"1".repeat(41),
            (false, None, None, Some("tracking_number.too_long"), None),
        );
    }
}
