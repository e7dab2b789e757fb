//! The transfer workload shared by the crash and checkpoint-consistency tests: workers
//! move money between accounts (the total stays constant), each transfer fixed by its
//! worker and number so that the expected state can be rebuilt from the last transfer
//! number each worker recorded.

pub const ACCOUNTS: u64 = 10;
pub const INITIAL_BALANCE: i64 = 1_000;
pub const WORKERS: u64 = 2;

/// A well-mixed 64-bit hash (SplitMix64's finaliser): the tests' deterministic randomness.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Transfer `n` of worker `w`: from account, to account (a different one), amount.
pub fn transfer(w: u64, n: u64) -> (u64, u64, i64) {
    let r = splitmix(w << 40 | n);
    let from = r % ACCOUNTS;
    let to = (from + 1 + (r >> 8) % (ACCOUNTS - 1)) % ACCOUNTS;
    (from, to, 1 + ((r >> 16) % 100) as i64)
}

/// The key of account `i`.
pub fn account(i: u64) -> Vec<u8> {
    format!("acct/{i}").into_bytes()
}

/// The key holding worker `w`'s last committed transfer number.
pub fn last_key(w: u64) -> Vec<u8> {
    format!("last/{w}").into_bytes()
}
