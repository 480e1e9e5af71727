//! A deterministic, realistic mix of tracking numbers for benchmarks.
//!
//! The mix imitates what sellers paste: mostly UPS, FedEx, USPS, postal S10
//! and DHL Express numbers, some in lower case or grouped with spaces, and
//! about one in ten with a typo (a changed digit or two swapped neighbours).
//! Check digits are computed with this crate's own algorithms, which the
//! unit tests pin to published examples. A fixed-seed linear congruential
//! generator keeps the mix identical across runs and machines, so benchmark
//! figures stay comparable.

use crate::checksum::Scheme;

/// Percentage of numbers that get a typo.
const TYPO_PERCENT: u32 = 10;
/// Percentage of numbers written in lower case.
const LOWERCASE_PERCENT: u32 = 15;
/// Percentage of numbers grouped with spaces.
const SPACED_PERCENT: u32 = 15;

/// Knuth's MMIX linear congruential generator: plenty for picking digits.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The high bits of an LCG are the well-mixed ones.
        (self.0 >> 33) as u32
    }

    fn below(&mut self, bound: u32) -> u32 {
        self.next() % bound
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u32) as usize]
    }

    fn digits(&mut self, out: &mut Vec<u8>, count: usize) {
        for _ in 0..count {
            out.push(b'0' + self.below(10) as u8);
        }
    }
}

/// `n` tracking numbers, the same ones on every call with the same `n`
/// (and the first `k` of a longer mix equal a mix of length `k`).
pub fn bench_mix(n: usize) -> Vec<String> {
    let mut rng = Lcg(0x7472_6163_6b6c_616e); // "tracklan"
    (0..n).map(|_| one(&mut rng)).collect()
}

fn one(rng: &mut Lcg) -> String {
    let mut number = Vec::with_capacity(24);
    // (payload start, check index from the end) of the generated number.
    let (start, after) = match rng.below(100) {
        0..=24 => {
            number.extend_from_slice(b"1Z");
            const SHIPPER: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
            for _ in 0..6 {
                number.push(SHIPPER[rng.below(SHIPPER.len() as u32) as usize]);
            }
            number.extend_from_slice(rng.pick(&["01", "02", "03", "12", "13", "42"]).as_bytes());
            rng.digits(&mut number, 7);
            push_check(&mut number, Scheme::Ups, 2);
            (2, 0)
        }
        25..=36 => {
            rng.digits(&mut number, 11);
            push_check(&mut number, Scheme::FedEx, 0);
            (0, 0)
        }
        37..=44 => {
            rng.digits(&mut number, 14);
            push_check(&mut number, Scheme::Gs1 { bias: 0 }, 0);
            (0, 0)
        }
        45..=69 => {
            number.extend_from_slice(
                rng.pick(&["9400", "9205", "9261", "9405", "9361"])
                    .as_bytes(),
            );
            rng.digits(&mut number, 17);
            push_check(&mut number, Scheme::Gs1 { bias: 0 }, 0);
            (0, 0)
        }
        70..=89 => {
            number.extend_from_slice(
                rng.pick(&["RA", "RR", "LX", "LZ", "EA", "EE", "CP", "UA"])
                    .as_bytes(),
            );
            rng.digits(&mut number, 8);
            push_check(&mut number, Scheme::S10, 2);
            let country = rng.pick(&[
                "CN", "CN", "CN", "GB", "US", "DE", "FR", "JP", "CA", "HK", "NL",
            ]);
            number.extend_from_slice(country.as_bytes());
            (2, 2)
        }
        _ => {
            rng.digits(&mut number, 9);
            push_check(&mut number, Scheme::Mod7, 0);
            (0, 0)
        }
    };

    if rng.below(100) < TYPO_PERCENT {
        let end = number.len() - after; // one past the check digit
        let i = start + rng.below((end - start - 1) as u32) as usize;
        if rng.below(2) == 0 && number[i].is_ascii_digit() && number[i + 1].is_ascii_digit() {
            number.swap(i, i + 1);
        } else if number[i].is_ascii_digit() {
            number[i] = b'0' + (u32::from(number[i] - b'0') + 1 + rng.below(9)) as u8 % 10;
        }
    }

    let lowercase = rng.below(100) < LOWERCASE_PERCENT;
    let spaced = rng.below(100) < SPACED_PERCENT;
    let mut out = String::with_capacity(number.len() + number.len() / 4 + 1);
    for (index, &b) in number.iter().enumerate() {
        if spaced && index > 0 && index % 4 == 0 {
            out.push(' ');
        }
        out.push(char::from(if lowercase {
            b.to_ascii_lowercase()
        } else {
            b
        }));
    }
    out
}

/// Appends the check digit for `number[start..]`.
fn push_check(number: &mut Vec<u8>, scheme: Scheme, start: usize) {
    // The generator only produces characters the scheme accepts.
    let check = scheme.expected(&number[start..]).unwrap_or(b'0');
    number.push(check);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(n: usize, valid_percent_min: usize, valid_percent_max: usize) {
        let mix = bench_mix(n);
        assert_eq!(mix.len(), n);
        assert_eq!(mix, bench_mix(n), "not deterministic");
        let valid = mix
            .iter()
            .filter(|number| crate::check(number).valid)
            .count();
        let percent = valid * 100 / n;
        assert!(
            (valid_percent_min..=valid_percent_max).contains(&percent),
            "{percent}% valid"
        );
    }

    #[test]
    fn about_one_in_ten_is_mistyped() {
        // Some typos land on a number that still fits another format, so
        // the valid share sits a little above 90%.
        check(10_000, 87, 94);
    }

    #[test]
    fn prefixes_are_stable() {
        assert_eq!(bench_mix(100)[..10], bench_mix(10)[..]);
    }
}
