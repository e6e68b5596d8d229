//! The saved index file: a golden file pins the format (it opens, answers known queries, and a
//! fresh build writes it byte for byte; `SEXTANT_BLESS=1` rewrites it deliberately), and
//! damaged files are refused with an error naming the file and the byte.

use std::path::Path;

use sextant_core::{PointOffset, SparseVector};
use sextant_sparse_index::{Error, SparseIndex, SparseRequest, WeightType};

fn v(pairs: &[(u32, f32)]) -> SparseVector {
    let (i, w) = pairs.iter().copied().unzip();
    SparseVector::new(i, w).unwrap()
}

/// Five points with gaps, an empty vector, negative weights, one deleted point; then 140 points
/// holding term 3 (a list long enough for a packed block and a plain tail).
fn small() -> SparseIndex {
    let mut index = SparseIndex::new();
    index.insert(0, v(&[(1, 0.5), (7, 1.0)])).unwrap();
    index.insert(1, v(&[(7, 2.0), (9, -1.0)])).unwrap();
    index.insert(3, v(&[])).unwrap();
    index
        .insert(4, v(&[(1, 3.0), (2, 0.25), (9, 1.5)]))
        .unwrap();
    index.insert(6, v(&[(2, -0.5), (7, 0.75)])).unwrap();
    index.delete(1);
    for o in 10..150 {
        index
            .insert(o, v(&[(3, (o % 7) as f32 * 0.5 + 0.25)]))
            .unwrap();
    }
    index
}

fn top(index: &SparseIndex, q: &[(u32, f32)]) -> Vec<(PointOffset, f32)> {
    index
        .search(&v(q), &SparseRequest::new(10))
        .iter()
        .map(|p| (p.offset, p.score))
        .collect()
}

/// The answers every saved form of [`small`] must give, whatever its weight type.
fn answers_of_small(opened: &SparseIndex) {
    assert_eq!((opened.len(), opened.end()), (144, 150));
    let threes: Vec<u32> = top(opened, &[(3, 1.0)]).iter().map(|p| p.0).collect();
    assert_eq!(threes, [13, 20, 27, 34, 41, 48, 55, 62, 69, 76]);
    assert_eq!(top(opened, &[(3, 1.0)])[0].1, 3.25);
    assert_eq!(top(opened, &[(7, 1.0)]), [(0, 1.0), (6, 0.75)]);
    assert_eq!(top(opened, &[(1, 1.0), (9, 1.0)]), [(4, 4.5), (0, 0.5)]);
    assert_eq!(top(opened, &[(2, 2.0)]), [(4, 0.5), (6, -1.0)]);
    assert!(!opened.contains(1) && opened.contains(3) && !opened.contains(5));
    assert_eq!(opened.vector(4), Some(v(&[(1, 3.0), (2, 0.25), (9, 1.5)])));
    assert_eq!(opened.document_frequency(7), 2);
}

const TYPES: [(WeightType, &str); 3] = [
    (WeightType::F32, "f32"),
    (WeightType::F16, "f16"),
    (WeightType::U8, "u8"),
];

#[test]
fn golden_index_files() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let index = small();
    if std::env::var_os("SEXTANT_BLESS").is_some() {
        for (ty, name) in TYPES {
            index
                .save(golden.join(format!("small-v2-{name}.idx")), ty)
                .unwrap();
        }
        bless_fuzz_seeds(&index);
    }
    for (ty, name) in TYPES {
        let path = golden.join(format!("small-v2-{name}.idx"));
        assert_eq!(
            index.to_bytes(ty).unwrap(),
            std::fs::read(&path).unwrap(),
            "format changed ({name}): bless deliberately"
        );
        let opened = SparseIndex::open_mapped(&path).unwrap();
        answers_of_small(&opened);
        assert_eq!(opened.to_bytes(ty).unwrap(), index.to_bytes(ty).unwrap());
    }
    // Version 1 (f32 weights, written by session 14's code) still opens, and saves as version 2.
    let v1 = SparseIndex::open_mapped(golden.join("small-v1.idx")).unwrap();
    answers_of_small(&v1);
    assert_eq!(
        v1.to_bytes(WeightType::F32).unwrap(),
        std::fs::read(golden.join("small-v2-f32.idx")).unwrap()
    );
}

#[test]
fn coded_weights_cost_bytes_not_answers() {
    let sizes: Vec<usize> = TYPES
        .iter()
        .map(|&(ty, _)| small().to_bytes(ty).unwrap().len())
        .collect();
    // 145 postings: 4, 2 and 1 byte each, plus 8 bytes of scale per term for the codes.
    assert!(sizes[0] > sizes[1] && sizes[1] > sizes[2], "{sizes:?}");
}

fn open_bytes(bytes: &[u8]) -> Result<SparseIndex, Error> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.idx");
    std::fs::write(&path, bytes).unwrap();
    SparseIndex::open_mapped(&path)
}

fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.truncate(bytes.len() - 4);
    sextant_mmap_advice::header::seal(&mut bytes);
    bytes
}

#[test]
fn damaged_files_are_refused_with_the_byte() {
    let good = small().to_bytes(WeightType::F32).unwrap();
    for len in [0, 7, 12, 40, good.len() / 2, good.len() - 1] {
        let err = open_bytes(&good[..len]).unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { .. }),
            "truncated to {len}: {err}"
        );
    }
    for at in (0..good.len()).step_by(97) {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        let err = open_bytes(&bad).unwrap_err().to_string();
        assert!(
            err.contains("damaged.idx") && err.contains("byte"),
            "{at}: {err}"
        );
    }
    // Behind a valid checksum: the structure checks speak.
    let at = Layout::of(&good);
    let mut swapped = good.clone();
    swapped.copy_within(at.ids..at.ids + 4, at.ids + 4);
    let err = open_bytes(&reseal(swapped)).unwrap_err().to_string();
    assert!(err.contains("ascending"), "{err}");
    // A posting weight that disagrees with its point's vector.
    let mut other = good.clone();
    other[at.weights..at.weights + 4].copy_from_slice(&9.0f32.to_le_bytes());
    let err = open_bytes(&reseal(other)).unwrap_err().to_string();
    assert!(err.contains("disagrees"), "{err}");
    let mut padded = good.clone();
    padded[at.weights - 1] = 1;
    let err = open_bytes(&reseal(padded)).unwrap_err().to_string();
    assert!(err.contains("padding"), "{err}");
    // A packed block that decodes to other offsets, and a wrong last offset of a block.
    let mut packed = good.clone();
    packed[at.packed + 3] ^= 0x40;
    let err = open_bytes(&reseal(packed)).unwrap_err().to_string();
    assert!(err.contains("term 3"), "{err}");
    let mut last = good.clone();
    last[at.lasts] ^= 1;
    let err = open_bytes(&reseal(last)).unwrap_err().to_string();
    assert!(err.contains("last offset"), "{err}");
    // A count larger than the file.
    let mut huge = good.clone();
    huge[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(open_bytes(&reseal(huge.clone())).is_err());
    huge[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let err = open_bytes(&reseal(huge)).unwrap_err().to_string();
    assert!(err.contains("cannot fit"), "{err}");
    // An unknown weight type; f32 weights read as codes.
    for code in [3u32, 2] {
        let mut bad = good.clone();
        bad[12..16].copy_from_slice(&code.to_le_bytes());
        let err = open_bytes(&reseal(bad)).unwrap_err().to_string();
        assert!(err.contains("byte"), "{code}: {err}");
    }
}

#[test]
fn damaged_codes_are_refused() {
    let good = small().to_bytes(WeightType::U8).unwrap();
    let at = Layout::of(&good);
    assert!(open_bytes(&good).is_ok());
    // A code one step off its weight's, and a scale not fitted to the term's weights.
    let mut code = good.clone();
    code[at.weights] ^= 1;
    let err = open_bytes(&reseal(code)).unwrap_err().to_string();
    assert!(err.contains("disagrees"), "{err}");
    let mut scale = good.clone();
    scale[at.scales + 4] ^= 1;
    let err = open_bytes(&reseal(scale)).unwrap_err().to_string();
    assert!(err.contains("scale"), "{err}");
    // Version 1 had no weight types.
    let mut v1 = good.clone();
    v1[8..12].copy_from_slice(&1u32.to_le_bytes());
    let err = open_bytes(&reseal(v1)).unwrap_err().to_string();
    assert!(err.contains("weight type 2 (version 1)"), "{err}");
}

/// Seeds of the fuzz corpus (`fuzz/corpus/sparse_index_file/`): saved files without their
/// checksum (the fuzz entry point reseals what it gets).
fn bless_fuzz_seeds(small: &SparseIndex) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sparse_index_file");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bigger = SparseIndex::new();
    for o in 0..300u32 {
        let terms: Vec<u32> = (0..1 + o % 5).map(|i| (o * 7 + i * 13) % 40).collect();
        let weights = terms.iter().map(|&t| (t as f32 - 15.0) / 4.0).collect();
        bigger
            .insert(
                o + o / 50,
                SparseVector::from_unsorted(terms, weights).unwrap(),
            )
            .unwrap();
    }
    for o in (0..300).step_by(7) {
        bigger.delete(o);
    }
    for (name, index) in [
        ("small", small),
        ("empty", &SparseIndex::new()),
        ("bigger", &bigger),
    ] {
        for (ty, suffix) in TYPES {
            let bytes = index.to_bytes(ty).unwrap();
            let seed = dir.join(format!("seed-{name}-{suffix}"));
            std::fs::write(seed, &bytes[..bytes.len() - 4]).unwrap();
        }
    }
}

/// Where the arrays of a saved file start (the byte table of `store.rs`).
struct Layout {
    ids: usize,
    lasts: usize,
    packed: usize,
    /// The term scales (f16 / u8 files; else where the weights start).
    scales: usize,
    weights: usize,
}

impl Layout {
    fn of(b: &[u8]) -> Layout {
        let n = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize;
        let (end, terms, postings, blocks, packed_bytes) = (n(16), n(24), n(32), n(40), n(48));
        let mut at = 56;
        let mut next = |bytes: usize| {
            let start = at;
            at = (at + bytes).next_multiple_of(8);
            start
        };
        next(8 * end.div_ceil(64));
        let ids = next(4 * terms);
        next(8 * (terms + 1));
        next(8 * (blocks + 1));
        let lasts = next(4 * blocks);
        let packed = next(packed_bytes);
        next(4 * (postings - 128 * blocks));
        let ty = u32::from_le_bytes(b[12..16].try_into().unwrap());
        let scales = next(if ty == 0 { 0 } else { 8 * terms });
        let weights = next(0);
        Layout {
            ids,
            lasts,
            packed,
            scales,
            weights,
        }
    }
}
