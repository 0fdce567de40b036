//! Deterministic test data shared by the kv-proto benchmarks (no `rand`: a fixed-seed
//! SplitMix64 keeps every run on the same bytes).

// Each bench includes this module and uses only part of it.
#![allow(dead_code)]

/// SplitMix64: tiny, fast, and good enough to vary lengths and characters.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next_u64().is_multiple_of(n)
    }
}

const PLAIN: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/";
/// Characters that JSON must escape, and multi-byte UTF-8.
const SPECIAL: &[char] = &[
    '"', '\\', '\n', '\t', '\u{1}', 'é', 'ß', '日', '本', '🦀', '€',
];

/// A string of exactly-or-just-under `len` bytes: mostly URL-ish ASCII, with about one
/// character in `special_one_in` drawn from [`SPECIAL`] (0: none).
pub fn text(rng: &mut Rng, len: usize, special_one_in: u64) -> String {
    let mut s = String::with_capacity(len);
    while s.len() < len {
        let c = if special_one_in > 0 && rng.one_in(special_one_in) {
            SPECIAL[rng.range(0, SPECIAL.len() - 1)]
        } else {
            char::from(PLAIN[rng.range(0, PLAIN.len() - 1)])
        };
        if s.len() + c.len_utf8() > len {
            // Fill the last byte(s) with ASCII so the length is exact.
            s.push('x');
        } else {
            s.push(c);
        }
    }
    s
}

/// Prose-like text of exactly `len` ASCII bytes (words and spaces), as a stored text value.
pub fn prose(rng: &mut Rng, len: usize) -> String {
    const WORDS: &[&str] = &[
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "lorem", "ipsum", "dolor",
        "sit", "amet", "session", "user", "token", "cache", "value", "edge", "worker",
    ];
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        s.push_str(WORDS[rng.range(0, WORDS.len() - 1)]);
        s.push(' ');
    }
    s.truncate(len);
    s
}

/// True when run by `cargo bench` (criterion's bench mode), false under `cargo test --benches`
/// (where each benchmark runs once as a smoke test).
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Times `ours` against `baseline` interleaved: `rounds` rounds, each running `per_round`
/// calls of one then `per_round` of the other (the order alternates between rounds), so a
/// load change on a shared machine hits both sides alike. Each closure returns the time of
/// its own timed region (so it can keep setup and teardown out). Prints and returns the
/// median of the per-round time ratios, ours / baseline (below 1: ours is faster).
pub fn interleaved_ratio(
    label: &str,
    rounds: usize,
    per_round: usize,
    mut ours: impl FnMut() -> std::time::Duration,
    mut baseline: impl FnMut() -> std::time::Duration,
) -> f64 {
    use std::time::Duration;
    let run = |f: &mut dyn FnMut() -> Duration| -> f64 {
        (0..per_round).map(|_| f()).sum::<Duration>().as_secs_f64()
    };
    // Warm-up round, not counted.
    run(&mut ours);
    run(&mut baseline);
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|r| {
            let (a, b) = if r % 2 == 0 {
                let a = run(&mut ours);
                (a, run(&mut baseline))
            } else {
                let b = run(&mut baseline);
                (run(&mut ours), b)
            };
            a / b
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    let p10 = ratios[ratios.len() / 10];
    let p90 = ratios[ratios.len() * 9 / 10];
    println!(
        "ratio {label}: ours / baseline time = {median:.3} (median of {rounds} interleaved rounds; p10 {p10:.3}, p90 {p90:.3})"
    );
    median
}

/// Times one call of `f`, dropping its output inside the timed region (as criterion's
/// `Bencher::iter` does).
pub fn timed<T>(mut f: impl FnMut() -> T) -> impl FnMut() -> std::time::Duration {
    move || {
        let start = std::time::Instant::now();
        drop(std::hint::black_box(f()));
        start.elapsed()
    }
}

/// One criterion group timing `ours` against `baseline` over the same `bytes`-long input and,
/// under `cargo bench`, their [`interleaved_ratio`] (`per_round` calls a round). Each pair is
/// `(name, closure)`; the closure's output is dropped inside the timed region.
pub fn versus<A, B>(
    c: &mut criterion::Criterion,
    group: &str,
    bytes: u64,
    per_round: usize,
    ours: (&str, impl Fn() -> A),
    baseline: (&str, impl Fn() -> B),
) {
    let (ours_name, ours) = ours;
    let (baseline_name, baseline) = baseline;
    let mut g = c.benchmark_group(group);
    g.throughput(criterion::Throughput::Bytes(bytes));
    g.bench_function(ours_name, |b| b.iter(&ours));
    g.bench_function(baseline_name, |b| b.iter(&baseline));
    g.finish();
    if bench_mode() {
        interleaved_ratio(group, 41, per_round, timed(&ours), timed(&baseline));
    }
}
