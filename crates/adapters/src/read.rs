//! What the adapters read alike from carriers' answers: their words, through
//! a table of telling words; the customs step a text tells of; times; and
//! places, cut to what the push format takes. Also how an answer's JSON is
//! read and how events listed newest first are put in order.

use jiff::Timestamp;
use jiff::civil::DateTime;

use crate::{PullError, PushItem};

/// Words a carrier's text may hold, row by row, with the SP-API code they
/// mean. The code `CUSTOMS` stands for "some customs step": see
/// [`customs_step`].
pub(crate) type WordTable = [(&'static [&'static str], &'static str)];

/// The code of the first row of `table` with one of its words in `text`
/// (lower case).
pub(crate) fn by_words(table: &WordTable, text: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(words, _)| words.iter().any(|w| text.contains(w)))
        .map(|(_, code)| *code)
}

/// Which customs step a (lower-case) text about customs tells of; `otherwise`
/// when it names none. Payment comes first, since a text asking for duties
/// often says the parcel is held for them.
pub(crate) fn customs_step(text: &str, otherwise: &'static str) -> &'static str {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&[
        "payment",
        "duties",
        "duty",
        "taxes",
        "tax ",
        "charge is due",
    ]) {
        "CUSTOMS_PAYMENT_REQUIRED"
    } else if has(&[
        "cleared",
        "release",
        "clearance complete",
        "processing complete",
        "approved",
    ]) {
        "CUSTOMS_CLEARED"
    } else if has(&["delay"]) {
        "CUSTOMS_DELAY"
    } else if has(&[
        "held",
        "hold",
        "detained",
        "inspection",
        "awaiting",
        "further information",
    ]) {
        "CUSTOMS_HOLD"
    } else {
        otherwise
    }
}

/// A carrier's answer read from its JSON `body`.
///
/// # Errors
/// [`PullError::Format`] when the body is not in the expected shape.
pub(crate) fn answer<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PullError> {
    serde_json::from_slice(body).map_err(|e| PullError::Format(e.to_string()))
}

/// Events a carrier lists newest first, oldest first: reversed, then sorted
/// by time, so that a stable sort keeps events with the same time in the
/// order they happened.
pub(crate) fn oldest_first(
    mut newest_first: Vec<(Timestamp, PushItem)>,
) -> Vec<(Timestamp, PushItem)> {
    newest_first.reverse();
    newest_first.sort_by_key(|(at, _)| *at);
    newest_first
}

/// The events without their times.
pub(crate) fn undated(dated: Vec<(Timestamp, PushItem)>) -> Vec<PushItem> {
    dated.into_iter().map(|(_, item)| item).collect()
}

/// The text of a field, trimmed; `None` when it is missing or blank
/// (carriers send `""` for fields that do not apply).
pub(crate) fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// An event time: RFC 3339, or a local date and time without an offset
/// (which some services send), read as UTC. A date alone says too little to
/// order events by.
pub(crate) fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().or_else(|| {
        text.contains('T')
            .then(|| text.parse::<DateTime>().ok())
            .flatten()
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

/// The push format's `location.address` (`city`, `region`, `countryCode`);
/// `None` when it names no place. A country that is not two capital letters
/// is left out rather than have the hub refuse the event for it.
pub(crate) fn place(
    city: Option<&str>,
    region: Option<&str>,
    country_code: Option<&str>,
) -> Option<serde_json::Value> {
    let country_code =
        country_code.filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
    let mut out = serde_json::Map::new();
    for (key, value) in [
        ("city", city),
        ("region", region),
        ("countryCode", country_code),
    ] {
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            out.insert(key.to_owned(), value.into());
        }
    }
    (!out.is_empty()).then_some(serde_json::Value::Object(out))
}

/// Checks that what `code_of` makes of every type in `types` with every word
/// of `table` (and each customs step's words) is an SP-API milestone code,
/// and that each of `reached` comes out of some pair.
#[cfg(test)]
pub(crate) fn assert_only_sp_api_codes(
    types: &[&str],
    table: &WordTable,
    code_of: impl Fn(&str, &str) -> Option<&'static str>,
    reached: &[&str],
) {
    let mut texts = vec![String::new()];
    for (words, _) in table {
        texts.extend(words.iter().map(|w| (*w).to_owned()));
    }
    for step in ["duties", "released", "delay", "held", "customs"] {
        texts.push(format!("customs {step}"));
    }
    let mut emitted = std::collections::BTreeSet::new();
    for kind in types {
        for text in &texts {
            emitted.extend(code_of(kind, text));
        }
    }
    for code in reached {
        assert!(emitted.contains(code), "{code} is never reached");
    }
    for code in emitted {
        assert!(
            tracklane_core::MilestoneCode::parse(code).is_some(),
            "{code} is not in the SP-API model"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customs_steps_are_told_apart_and_payment_comes_first() {
        let step = |text| customs_step(text, "CUSTOMS_PROCESSING");
        assert_eq!(
            step("held until duties and taxes are paid"),
            "CUSTOMS_PAYMENT_REQUIRED"
        );
        assert_eq!(step("clearance processing complete"), "CUSTOMS_CLEARED");
        assert_eq!(step("released by customs"), "CUSTOMS_CLEARED");
        assert_eq!(step("clearance delay - import"), "CUSTOMS_DELAY");
        assert_eq!(step("held for inspection"), "CUSTOMS_HOLD");
        assert_eq!(step("customs status updated"), "CUSTOMS_PROCESSING");
        assert_eq!(
            customs_step("customs", "CUSTOMS_EXCEPTION"),
            "CUSTOMS_EXCEPTION"
        );
    }

    #[test]
    fn times_with_and_without_an_offset_are_read_and_dates_alone_are_not() {
        let at = |t: &str| Some(t.parse::<Timestamp>().unwrap());
        assert_eq!(
            parse_time("2026-03-09T08:15:00+08:00"),
            at("2026-03-09T00:15:00Z")
        );
        assert_eq!(
            parse_time("2026-03-09T08:15:00"),
            at("2026-03-09T08:15:00Z")
        );
        assert_eq!(parse_time("2026-03-09"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn places_keep_only_what_the_push_format_takes() {
        assert_eq!(
            place(Some(" Leipzig "), None, Some("DE")),
            Some(serde_json::json!({ "city": "Leipzig", "countryCode": "DE" }))
        );
        assert_eq!(
            place(Some(""), Some("KY"), Some("United States")),
            Some(serde_json::json!({ "region": "KY" }))
        );
        assert_eq!(place(None, None, Some("de")), None);
    }
}
