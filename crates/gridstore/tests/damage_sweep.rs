//! The damage sweep: a flushed store of 200 values, each of its files (meta, tracker, every
//! page) damaged by truncations, single-bit flips and 16-byte zero scatters, and loaded
//! through each public loader. A load may refuse with an error naming the file, or open; an
//! open store returns every value exactly or an error naming the file, `verify` lists exactly
//! the values that error, and `open_repair` reports exactly the values it drops. Never a
//! value silently missing or changed. Run with `--nocapture` for the outcome table.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sextant_gridstore::{Compression, Error, Gridstore, GridstoreReader};

const VALUES: u32 = 200;

fn build(dir: &Path) -> Vec<Vec<u8>> {
    let mut store = Gridstore::create(dir, common::tiny(Compression::None)).unwrap();
    let values: Vec<Vec<u8>> = (0..VALUES)
        .map(|o| common::value(o, 0, (o as usize * 37) % 300, false))
        .collect();
    for (o, v) in values.iter().enumerate() {
        store.put(o as u32, v).unwrap();
    }
    // Deleted and rewritten values leave empty entries and reused blocks behind.
    for o in (0..VALUES).step_by(7) {
        store.delete(o).unwrap();
    }
    store.flush().unwrap();
    for o in (0..VALUES).step_by(14) {
        store.put(o, &values[o as usize]).unwrap();
    }
    store.flush().unwrap();
    (0..VALUES)
        .map(|o| {
            if present(o) {
                values[o as usize].clone()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// Which offsets hold a value (the rest were deleted).
fn present(o: u32) -> bool {
    !o.is_multiple_of(7) || o.is_multiple_of(14)
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Damage {
    Truncate,
    BitFlip,
    ZeroScatter,
}

/// Damages `bytes` somewhere before the end of their data (the zero tail of a preallocated
/// file holds nothing to lose).
fn damage(bytes: &mut Vec<u8>, kind: Damage, rng: &mut Rng) {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(bytes.len(), |i| i + 1);
    let at = rng.below(end);
    match kind {
        Damage::Truncate => bytes.truncate(at),
        Damage::BitFlip => bytes[at] ^= 1 << rng.below(8),
        Damage::ZeroScatter => bytes[at..(at + 16).min(end)].fill(0),
    }
}

fn is_store_file(p: &Path) -> bool {
    let name = p.file_name().unwrap().to_string_lossy();
    name == "meta" || name == "tracker" || name.starts_with("page_")
}

/// Checks one read: the exact value, or an error naming a file of the store. Returns whether
/// it errored.
fn check_read(
    dir: &Path,
    o: u32,
    got: Result<Option<Vec<u8>>, Error>,
    want: &[Vec<u8>],
    what: &str,
) -> bool {
    match got {
        Ok(Some(v)) => {
            assert!(
                present(o) && v == want[o as usize],
                "{what}: offset {o} changed"
            );
            false
        }
        Ok(None) => {
            assert!(!present(o), "{what}: offset {o} silently missing");
            false
        }
        Err(Error::Corrupt { path, .. }) => {
            assert!(
                path.starts_with(dir) && is_store_file(&path),
                "{what}: {path:?}"
            );
            true
        }
        Err(e) => panic!("{what}: offset {o}: unexpected error {e}"),
    }
}

/// The loads of one damaged store; returns the outcome of the strict open.
fn load(dir: &Path, damaged: &Path, want: &[Vec<u8>], what: &str) -> &'static str {
    let outcome = match Gridstore::open(dir) {
        Err(Error::Format { path, .. }) | Err(Error::Corrupt { path, .. }) => {
            assert_eq!(path, damaged, "{what}: the error names the damaged file");
            "open refused, naming the file"
        }
        Err(Error::Map(e)) => {
            assert!(
                e.to_string().contains(&*damaged.to_string_lossy()),
                "{what}: {e}"
            );
            "open refused, naming the file"
        }
        Err(e) => panic!("{what}: unexpected error {e}"),
        Ok(store) => {
            let mut errored = BTreeSet::new();
            for o in 0..VALUES {
                if check_read(dir, o, store.get(o), want, what) {
                    errored.insert(o);
                }
            }
            let bad: BTreeSet<u32> = store
                .verify()
                .unwrap()
                .bad
                .iter()
                .map(|b| b.offset)
                .collect();
            assert_eq!(
                bad, errored,
                "{what}: verify lists exactly the values that error"
            );
            let expected_len = (0..VALUES).filter(|&o| present(o)).count();
            assert_eq!(store.len(), expected_len, "{what}: len");
            store.abandon();
            if errored.is_empty() {
                "opened, every value intact"
            } else {
                "opened, damaged values are errors naming the file"
            }
        }
    };
    if let Ok(reader) = GridstoreReader::open(dir) {
        for o in 0..VALUES {
            check_read(dir, o, reader.get(o), want, what);
        }
    }
    match Gridstore::open_repair(dir) {
        Ok((store, dropped)) => {
            let dropped: BTreeSet<u32> = dropped.iter().map(|b| b.offset).collect();
            for o in 0..VALUES {
                match store.get(o).unwrap() {
                    Some(v) => assert_eq!(v, want[o as usize], "{what}: repaired offset {o}"),
                    None => assert!(
                        !present(o) || dropped.contains(&o),
                        "{what}: repair lost offset {o} without reporting it"
                    ),
                }
            }
            assert!(
                store.verify().unwrap().is_clean(),
                "{what}: repair left damage"
            );
            store.abandon();
        }
        // Only meta damage (or a tracker header) leaves nothing a repair can trust.
        Err(Error::Format { path, .. }) => assert_eq!(path, damaged, "{what}"),
        Err(e) => panic!("{what}: repair failed with {e}"),
    }
    outcome
}

#[test]
fn damaged_stores_never_lose_or_change_a_value_silently() {
    let base = tempfile::tempdir().unwrap();
    let want = build(base.path());
    let files: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(base.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| is_store_file(p))
            .collect();
        v.sort();
        v
    };
    let mut table: BTreeMap<(String, Damage, &str), usize> = BTreeMap::new();
    let mut rng = Rng(19);
    for file in &files {
        let original = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let kind_of_file = if name.starts_with("page_") {
            "page".to_string()
        } else {
            name.clone()
        };
        for (kind, times) in [
            (Damage::Truncate, 20),
            (Damage::BitFlip, 50),
            (Damage::ZeroScatter, 20),
        ] {
            for round in 0..times {
                let mut bytes = original.clone();
                damage(&mut bytes, kind, &mut rng);
                if bytes == original {
                    continue;
                }
                let copy = tempfile::tempdir().unwrap();
                for f in &files {
                    std::fs::copy(f, copy.path().join(f.file_name().unwrap())).unwrap();
                }
                let damaged = copy.path().join(&name);
                std::fs::write(&damaged, &bytes).unwrap();
                let what = format!("{kind:?} #{round} of {name}");
                let outcome = load(copy.path(), &damaged, &want, &what);
                *table
                    .entry((kind_of_file.clone(), kind, outcome))
                    .or_default() += 1;
            }
        }
    }
    println!("| file | damage | strict open | loads |\n| --- | --- | --- | --- |");
    for ((file, kind, outcome), n) in &table {
        println!("| {file} | {kind:?} | {outcome} | {n} |");
    }
    let total: usize = table.values().sum();
    assert!(total >= 90 * 3, "loads: {total}");
}
