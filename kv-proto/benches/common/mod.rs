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
        self.next_u64() % n == 0
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
