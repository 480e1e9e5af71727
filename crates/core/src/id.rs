//! Identifier newtypes. Each is built by a validating `parse`, so a value of the
//! type is known to be well-formed wherever it travels; the error says which rule
//! the input broke.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {kind}: {rule}")]
pub struct IdError {
    /// The identifier kind, e.g. `warehouse code`.
    pub kind: &'static str,
    /// The input as given.
    pub input: String,
    /// The rule it broke, phrased as what a valid one looks like.
    pub rule: &'static str,
}

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $rule:literal, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `input` and wraps it.
            ///
            /// # Errors
            /// [`IdError`] naming the rule when `input` is not of this kind.
            pub fn parse(input: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(input) {
                    Ok(Self(input.to_owned()))
                } else {
                    Err(IdError { kind: $kind, input: input.to_owned(), rule: $rule })
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn is_upper_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

string_id!(
    /// A receiving site's code, such as `TEB9` or `KIX4`.
    WarehouseCode, "warehouse code", "3 to 8 capital letters and digits, such as TEB9",
    |s| (3..=8).contains(&s.len()) && is_upper_alnum(s)
);

string_id!(
    /// A carrier's code in tracklane, such as `UPS` or `4PX`.
    CarrierCode, "carrier code", "2 to 32 capital letters, digits or underscores, such as UPS",
    |s| (2..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
);

string_id!(
    /// A seller's account id, such as `A2SZLUCKYHOME`.
    SellerId, "seller id", "2 to 40 letters, digits, dashes or underscores",
    |s| (2..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
);

string_id!(
    /// The SP-API `shipmentId`: `sh` followed by a 36-character UUID (38 in all).
    ShipmentId, "shipment id", "38 characters: `sh` followed by a UUID",
    |s| is_prefixed_uuid(s, "sh")
);

string_id!(
    /// The SP-API `inboundPlanId`: `wf` followed by a 36-character UUID (38 in all).
    InboundPlanId, "inbound plan id", "38 characters: `wf` followed by a UUID",
    |s| is_prefixed_uuid(s, "wf")
);

string_id!(
    /// The `shipmentConfirmationId` printed on labels, such as `FBA15XYZ1234`.
    ConfirmationId, "shipment confirmation id", "FBA followed by 6 to 12 capital letters or digits, such as FBA15XYZ1234",
    |s| s.len() >= 9 && s.len() <= 15 && s.starts_with("FBA") && is_upper_alnum(s)
);

string_id!(
    /// A box's id: the confirmation id, `U`, and a 6-digit box number, such as
    /// `FBA15XYZ1234U000001`.
    BoxId, "box id", "the shipment confirmation id, U and six digits, such as FBA15XYZ1234U000001",
    |s| is_box_id(s)
);

string_id!(
    /// A tracking number in normal form: capital letters and digits only, 1 to 64
    /// characters. Whether it fits a carrier's format is `tracklane-ids`' question.
    TrackingNumber, "tracking number", "1 to 64 capital letters and digits (spaces and dashes removed)",
    |s| (1..=64).contains(&s.len()) && is_upper_alnum(s)
);

fn is_prefixed_uuid(s: &str, prefix: &str) -> bool {
    s.len() == 38 && s.starts_with(prefix) && is_uuid(&s[2..])
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

fn is_box_id(s: &str) -> bool {
    let Some(split) = s.rfind('U') else {
        return false;
    };
    let (head, tail) = (&s[..split], &s[split + 1..]);
    ConfirmationId::parse(head).is_ok()
        && tail.len() == 6
        && tail.bytes().all(|b| b.is_ascii_digit())
}

/// Formats 16 bytes as a lowercase UUID (version 4 bits set) behind `prefix`.
/// The bytes come from the caller's seeded RNG, so ids are reproducible.
fn prefixed_uuid(prefix: &str, bytes: [u8; 16]) -> String {
    let mut b = bytes;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{prefix}{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl ShipmentId {
    /// A new shipment id from 16 random bytes.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(prefixed_uuid("sh", bytes))
    }
}

impl InboundPlanId {
    /// A new inbound plan id from 16 random bytes.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(prefixed_uuid("wf", bytes))
    }
}

impl ConfirmationId {
    /// A confirmation id from a sequence number: `FBA15` and 7 base-36 characters,
    /// the shape Amazon prints on labels.
    pub fn from_sequence(sequence: u64) -> Self {
        const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut n = sequence;
        let mut tail = [b'0'; 7];
        for slot in tail.iter_mut().rev() {
            *slot = DIGITS[(n % 36) as usize];
            n /= 36;
        }
        let tail = std::str::from_utf8(&tail).unwrap_or("0000000");
        Self(format!("FBA15{tail}"))
    }

    /// The id of box number `index` (1-based) of this shipment.
    pub fn box_id(&self, index: u32) -> BoxId {
        BoxId(format!("{}U{index:06}", self.0))
    }
}

impl BoxId {
    /// The shipment confirmation id this box belongs to.
    pub fn confirmation_id(&self) -> &str {
        self.0.rfind('U').map_or("", |i| &self.0[..i])
    }
}

impl TrackingNumber {
    /// Removes the separators people type (spaces, dashes, dots, slashes, full-width
    /// forms) and capitalises. Returns the normal form, or an error when what is left
    /// is empty, too long, or has other characters.
    ///
    /// # Errors
    /// [`IdError`] when the input is not a tracking number in any format.
    pub fn normalize(input: &str) -> Result<Self, IdError> {
        let mut out = String::with_capacity(input.len());
        for c in input.chars() {
            let c = match c {
                '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                }
                _ => c,
            };
            match c {
                ' '
                | '-'
                | '.'
                | '/'
                | '\t'
                | '\u{3000}'
                | '\u{FF0D}'
                | '\u{2010}'..='\u{2015}' => {}
                _ => out.push(c.to_ascii_uppercase()),
            }
        }
        Self::parse(&out).map_err(|e| IdError {
            input: input.to_owned(),
            ..e
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: std::fmt::Debug>(result: Result<T, IdError>, is_ok: bool) {
        assert_eq!(result.is_ok(), is_ok, "{result:?}");
    }

    #[test]
    fn warehouse_codes() {
        check(WarehouseCode::parse("TEB9"), true);
        check(WarehouseCode::parse("teb9"), false);
        check(WarehouseCode::parse("T9"), false);
    }

    #[test]
    fn shipment_ids_round_trip_from_random_bytes() {
        let id = ShipmentId::from_random([7; 16]);
        check(ShipmentId::parse(id.as_str()), true);
        assert_eq!(id.as_str().len(), 38);
        check(ShipmentId::parse("sh1234"), false);
        let plan = InboundPlanId::from_random([9; 16]);
        check(InboundPlanId::parse(plan.as_str()), true);
        check(InboundPlanId::parse(id.as_str()), false);
    }

    #[test]
    fn confirmation_and_box_ids() {
        let c = ConfirmationId::from_sequence(123_456);
        assert_eq!(c.as_str(), "FBA150002N9C");
        let b = c.box_id(3);
        assert_eq!(b.as_str(), "FBA150002N9CU000003");
        assert_eq!(b.confirmation_id(), "FBA150002N9C");
        check(BoxId::parse("FBA15XYZ1234U000001"), true);
        check(BoxId::parse("FBA15XYZ1234U01"), false);
    }

    #[test]
    fn tracking_numbers_are_normalised() {
        assert_eq!(
            TrackingNumber::normalize(" 1z 999-aa1 ").map(String::from),
            Ok("1Z999AA1".to_owned())
        );
        assert_eq!(
            TrackingNumber::normalize("１Ｚ９９").map(String::from),
            Ok("1Z99".to_owned())
        );
        check(TrackingNumber::normalize("1Z#99"), false);
        check(TrackingNumber::normalize(" - "), false);
    }
}
