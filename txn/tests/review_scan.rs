//! Review: scans with empty or inverted ranges, as a query planner can produce them.

use std::ops::Bound;

use isolde_txn::{IsolationLevel, Options, TxnManager};

type Range = (Bound<Vec<u8>>, Bound<Vec<u8>>);

#[test]
fn inverted_and_empty_ranges_scan_nothing_at_every_level() {
    let mgr = TxnManager::in_memory(Options::default());
    let mut txn = mgr.begin(IsolationLevel::RepeatableRead);
    for k in [&b"a"[..], b"b", b"c"] {
        txn.put(k, b"v").unwrap();
    }
    txn.commit().unwrap();
    for level in IsolationLevel::ALL {
        let txn = mgr.begin(level);
        let k = |s: &str| s.as_bytes().to_vec();
        let ranges: [Range; 4] = [
            (Bound::Included(k("c")), Bound::Included(k("a"))),
            (Bound::Excluded(k("b")), Bound::Excluded(k("b"))),
            (Bound::Included(k("b")), Bound::Excluded(k("b"))),
            (Bound::Excluded(k("c")), Bound::Excluded(k("a"))),
        ];
        for range in ranges {
            let forward = txn.scan::<Vec<u8>>(range.clone()).unwrap().count();
            assert_eq!(forward, 0, "{level} {range:?}");
            let backward = txn.scan::<Vec<u8>>(range.clone()).unwrap().rev().count();
            assert_eq!(backward, 0, "{level} {range:?}");
        }
        txn.commit().unwrap();
    }
}
