//! `tracklane id check`: validate tracking numbers from the arguments or stdin.

use std::io::{BufRead, Write};

use tracklane_ids::Lang;

/// Checks each number and writes one line per number: JSON objects with
/// `--json`, readable text otherwise. Returns how many were invalid.
///
/// # Errors
/// When stdin cannot be read or stdout written.
pub fn run(
    numbers: &[String],
    carrier: Option<&str>,
    json: bool,
    zh: bool,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let mut invalid = 0;
    let mut check = |input: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let verdict = tracklane_ids::check_for(input, carrier);
        if !verdict.valid {
            invalid += 1;
        }
        if json {
            writeln!(out, "{}", serde_json::to_string(&verdict)?)?;
        } else if verdict.valid {
            writeln!(
                out,
                "{}\tvalid\t{}\t{}",
                verdict.normalized,
                verdict.carrier.unwrap_or("?"),
                verdict.service.unwrap_or("")
            )?;
        } else {
            let lang = if zh { Lang::ZhCn } else { Lang::En };
            writeln!(
                out,
                "{}\tinvalid\t{}",
                verdict.normalized,
                verdict.message(lang).unwrap_or_default()
            )?;
        }
        Ok(())
    };
    if numbers.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            if !line.trim().is_empty() {
                check(line.trim(), out)?;
            }
        }
    } else {
        for n in numbers {
            check(n, out)?;
        }
    }
    Ok(invalid)
}
