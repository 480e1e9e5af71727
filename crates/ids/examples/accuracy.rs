//! Prints how `check` does on public test numbers this project did not write.
//!
//! Run with `cargo run -p tracklane-ids --example accuracy`. It reads
//! `tests/data/public_numbers.tsv` (sources, licences and scoring rules are
//! in its header), prints the figures per source and overall, and every miss
//! with what the library said. The integration test `public_numbers` asserts
//! the same figures.

#[path = "../tests/public_numbers/score.rs"]
mod score;

fn main() -> Result<(), String> {
    let rows = score::parse(score::DATA)?;
    print!("{}", score::score(&rows));
    Ok(())
}
