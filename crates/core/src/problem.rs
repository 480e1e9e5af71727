//! A problem with one field of someone's input, said in both languages the
//! product speaks. Every rejection in tracklane, from a bad tracking number in a
//! batch to a malformed delivery window, is one of these.

use serde::Serialize;

/// What was wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable, dotted code such as `tracking_number.check_digit`.
    pub code: &'static str,
    /// The field at fault, as a JSON path into the request (`milestones[3].occurredAt`).
    pub field: String,
    /// The problem and its fix, in English.
    pub en: String,
    /// The problem and its fix, in Simplified Chinese.
    pub zh: String,
}

impl Problem {
    /// A problem with `field`.
    pub fn new(
        code: &'static str,
        field: impl Into<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Self {
            code,
            field: field.into(),
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The message in the language asked for (`zh` for Chinese, anything else English).
    pub fn message(&self, chinese: bool) -> &str {
        if chinese { &self.zh } else { &self.en }
    }

    /// The same problem, with the field placed under `prefix` (`milestones[3]`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}
