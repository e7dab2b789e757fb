//! Range scans read the skip list in batches from both ends; whatever the batch
//! boundaries, a scan must yield exactly the visible keys of its range, in order, each
//! once, however `next` and `next_back` are interleaved.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use isolde_engine::{ReadAt, VersionStore};
use proptest::prelude::*;

fn key(i: u16) -> Vec<u8> {
    format!("k{i:05}").into_bytes()
}

fn bound(b: Bound<u16>) -> Bound<Vec<u8>> {
    b.map(key)
}

fn arb_bound() -> impl Strategy<Value = Bound<u16>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0u16..700).prop_map(Bound::Included),
        (0u16..700).prop_map(Bound::Excluded),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_scan_yields_exactly_the_visible_keys_of_its_range_from_either_end(
        // Per key: the commit timestamp of its one version and whether it is a tombstone.
        keys in prop::collection::btree_map(0u16..600, (1u64..10, any::<bool>()), 0..500),
        snapshot in 0u64..10,
        lower in arb_bound(),
        upper in arb_bound(),
        // true: take from the front; false: from the back.
        steps in prop::collection::vec(any::<bool>(), 0..700),
    ) {
        let store = VersionStore::new();
        let mut model = BTreeMap::new();
        for (&k, &(ts, deleted)) in &keys {
            let value = (!deleted).then(|| Arc::from(key(k).as_slice()));
            store.install(&key(k), ts, value.clone(), 0);
            if let Some(value) = value.filter(|_| ts <= snapshot) {
                let inside = match lower {
                    Bound::Included(l) => k >= l,
                    Bound::Excluded(l) => k > l,
                    Bound::Unbounded => true,
                } && match upper {
                    Bound::Included(u) => k <= u,
                    Bound::Excluded(u) => k < u,
                    Bound::Unbounded => true,
                };
                if inside {
                    model.insert(key(k), value);
                }
            }
        }
        let at = ReadAt::Snapshot { ts: snapshot, txn: 0 };
        let mut scan = store.scan((bound(lower), bound(upper)), at);
        let mut expected = model.into_iter().collect::<std::collections::VecDeque<_>>();
        for front in steps {
            let (got, want) = if front {
                (scan.next(), expected.pop_front())
            } else {
                (scan.next_back(), expected.pop_back())
            };
            prop_assert_eq!(got, want);
        }
        prop_assert_eq!(scan.collect::<Vec<_>>(), expected.into_iter().collect::<Vec<_>>());
    }
}
