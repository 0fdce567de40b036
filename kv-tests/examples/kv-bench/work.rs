//! The workload both sides run: the same keys, values, batch sizes and namespaces.

/// Account id used against the emulator.
pub const ACCOUNT: &str = "bench";
/// Bearer token (the emulator accepts any non-empty one when started without `--token`).
pub const TOKEN: &str = "bench-token";
/// Keys per bulk write / bulk delete request: kv-proto's `DEFAULT_MAX_BATCH_ITEMS`.
pub const WRITE_BATCH: usize = kv_proto::defaults::DEFAULT_MAX_BATCH_ITEMS;
/// Keys per bulk get request: the API's maximum and kv-proto's default.
pub const GET_BATCH: usize = kv_proto::limits::MAX_BULK_GET_KEYS;
/// Keys per list page (the API's maximum and default).
pub const LIST_LIMIT: u32 = 1000;
/// Key prefixes: key `i` lives under shard `i % SHARDS`, so `c` threads can list disjoint
/// prefixes (16 splits evenly over 1, 2, 4, 8 or 16 threads).
pub const SHARDS: usize = 16;

/// Key `i`: `"{shard:x}/bench-{i:08}"`, 16 bytes, e.g. `3/bench-00000019`.
pub fn key(i: usize) -> String {
    format!("{:x}/bench-{i:08}", i % SHARDS)
}

/// The list prefix of shard `s`.
pub fn shard_prefix(s: usize) -> String {
    format!("{s:x}/")
}

/// The shards thread `t` of `c` lists.
pub fn shards_of(t: usize, c: usize) -> impl Iterator<Item = usize> {
    (0..SHARDS).filter(move |s| s % c == t)
}

const FILLER: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Value `i`: `value_bytes` bytes of ASCII text (at least 10): the index, a colon, filler.
pub fn value(i: usize, value_bytes: usize) -> String {
    let mut v = format!("{i:08}:");
    let rest = value_bytes.saturating_sub(v.len());
    let mut left = rest;
    while left > 0 {
        let take = left.min(FILLER.len());
        v.push_str(&FILLER[..take]);
        left -= take;
    }
    v
}

/// Number of batches of `size` covering `n` keys.
pub fn batches(n: usize, size: usize) -> usize {
    n.div_ceil(size)
}

/// Key indexes of batch `b`.
pub fn batch_range(b: usize, size: usize, n: usize) -> std::ops::Range<usize> {
    let start = b * size;
    start..(start + size).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_requested_size() {
        assert_eq!(value(7, 100).len(), 100);
        assert_eq!(value(12_345_678, 300).len(), 300);
        assert_eq!(key(17), "1/bench-00000017");
    }
}
