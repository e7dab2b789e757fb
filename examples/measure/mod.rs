//! What the memory-measuring examples share: resident size, the key format, MiB, and
//! the allocator.

/// The allocator the `isolde` binary ships with (see `src/main.rs`): resident memory
/// depends on it, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's resident set size in bytes (`VmRSS` from `/proc/self/status`, Linux).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS value");
    kib * 1024
}

/// The 16-byte key of entry `i`.
pub fn key(i: u64) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// Bytes in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
