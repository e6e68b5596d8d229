//! Maps, views, advice and batched reads against real files.

use std::fs::File;

use proptest::prelude::*;
use sextant_mmap_advice::{
    Advice, Backend, BatchBuf, BatchReader, Error, MmapFile, MmapFileMut, Populated, ReadRange,
    page_size,
};

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

#[test]
fn writes_through_one_handle_are_seen_by_another_and_growth_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let mut writer = MmapFileMut::create(&path, 64).unwrap();
    writer.view_mut::<u64>(0, 8).unwrap()[3] = 0xDEAD_BEEF;
    let mut reader = MmapFile::open(&path).unwrap();
    assert_eq!(reader.view::<u64>(24, 1).unwrap(), &[0xDEAD_BEEF]);
    assert!(!reader.reload().unwrap());

    writer.grow(4 * page_size()).unwrap();
    writer.bytes_mut()[3 * page_size()] = 42;
    writer.flush_range(3 * page_size(), 1).unwrap();
    assert_eq!(reader.len(), 64);
    assert!(reader.reload().unwrap());
    assert_eq!(reader.len(), 4 * page_size());
    assert_eq!(reader.bytes()[3 * page_size()], 42);
    assert_eq!(
        reader.view::<u64>(24, 1).unwrap(),
        &[0xDEAD_BEEF],
        "old data survives the remap"
    );
}

#[test]
fn bad_views_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let file = MmapFileMut::create(dir.path().join("v"), 40).unwrap();
    let layout = |r: Result<&[u32], Error>| match r {
        Err(Error::Layout { reason, .. }) => reason,
        other => panic!("expected a layout error, got {other:?}"),
    };
    assert_eq!(layout(file.view::<u32>(0, 11)), "past the end of the map");
    assert_eq!(
        layout(file.view::<u32>(1, 1)),
        "misaligned for the element type"
    );
    assert_eq!(
        layout(file.view::<u32>(4, usize::MAX)),
        "size overflows usize"
    );
    assert_eq!(file.view_to_end::<u32>(4).unwrap().len(), 9);
    assert_eq!(file.view_to_end::<u32>(40).unwrap().len(), 0);
    assert!(
        file.view_to_end::<u32>(400).is_err(),
        "a start past the end is an error"
    );
    assert!(
        file.bits(0, 321).is_err(),
        "321 bits need 6 words = 48 bytes"
    );
    assert_eq!(file.bits(0, 320).unwrap().count_ones(), 0);
}

#[test]
fn shrinking_through_grow_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = MmapFileMut::create(dir.path().join("g"), 100).unwrap();
    assert!(file.grow(50).is_err());
    assert_eq!(file.len(), 100);
}

#[test]
fn empty_files_map_to_empty_slices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty");
    let file = MmapFileMut::create(&path, 0).unwrap();
    assert!(file.is_empty());
    assert_eq!(file.view::<u32>(0, 0).unwrap().len(), 0);
    let map = MmapFile::open(&path).unwrap();
    assert!(map.bytes().is_empty());
    map.will_need(&[(0, 10)]).unwrap();
    map.populate(0, 10).unwrap();
    assert!(!map.evict(0, 10).unwrap());
    assert!(!map.release(0, 10).unwrap());
}

#[test]
fn populate_and_evict_keep_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pages");
    let len = 64 * page_size() + 123;
    let mut writer = MmapFileMut::create(&path, len).unwrap();
    writer.bytes_mut().copy_from_slice(&pattern(len));
    writer.flush().unwrap();
    let map = MmapFile::open(&path).unwrap();
    let how = map.populate(0, len).unwrap();
    if cfg!(target_os = "linux") {
        // Linux >= 5.14 has MADV_POPULATE_READ; older kernels take the touch fallback.
        assert!(matches!(how, Populated::Madvise | Populated::Touched));
    }
    map.will_need(&[(5, 10), (page_size() * 10, 3 * page_size()), (len - 1, 100)])
        .unwrap();
    let accepted = map.evict(page_size(), 10 * page_size()).unwrap();
    assert_eq!(accepted, cfg!(target_os = "linux"));
    assert_eq!(
        map.bytes(),
        &pattern(len)[..],
        "evicted pages come back from the file"
    );
    writer.evict(0, len).unwrap();
    assert_eq!(writer.bytes(), &pattern(len)[..]);
    assert_eq!(map.release(0, len).unwrap(), cfg!(unix));
    assert_eq!(
        map.bytes(),
        &pattern(len)[..],
        "released pages read the same"
    );
}

fn read_both_ways(
    file: &File,
    path: &std::path::Path,
    ranges: &[ReadRange],
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let collect = |reader: &mut BatchReader| {
        let mut out = BatchBuf::default();
        reader.read(file, path, ranges, &mut out).unwrap();
        assert_eq!(out.len(), ranges.len());
        (0..out.len())
            .map(|i| out.get(i).unwrap().to_vec())
            .collect::<Vec<_>>()
    };
    (
        collect(&mut BatchReader::new(8)),
        collect(&mut BatchReader::pread_only()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn io_uring_and_pread_return_the_same_bytes(
        ranges in proptest::collection::vec((0u64..200_000, 0usize..20_000), 0..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch");
        let content = pattern(220_000);
        std::fs::write(&path, &content).unwrap();
        let file = File::open(&path).unwrap();
        let ranges: Vec<ReadRange> = ranges.into_iter().map(|(offset, len)| ReadRange { offset, len }).collect();
        let (ring, pread) = read_both_ways(&file, &path, &ranges);
        for (i, r) in ranges.iter().enumerate() {
            let expected = &content[r.offset as usize..r.offset as usize + r.len];
            prop_assert_eq!(&ring[i][..], expected);
            prop_assert_eq!(&pread[i][..], expected);
        }
    }
}

#[test]
fn reads_past_the_end_fail_in_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short");
    std::fs::write(&path, pattern(1000)).unwrap();
    let file = File::open(&path).unwrap();
    let ranges = [
        ReadRange {
            offset: 10,
            len: 10,
        },
        ReadRange {
            offset: 990,
            len: 20,
        },
        ReadRange { offset: 0, len: 5 },
    ];
    for mut reader in [BatchReader::new(4), BatchReader::pread_only()] {
        let mut out = BatchBuf::default();
        let err = reader.read(&file, &path, &ranges, &mut out).unwrap_err();
        assert!(err.to_string().contains("short"), "{err}");
    }
}

#[test]
fn the_reader_says_which_backend_it_uses() {
    assert_eq!(BatchReader::pread_only().backend(), Backend::Pread);
    let reader = BatchReader::new(16);
    eprintln!("batch reader backend here: {:?}", reader.backend());
    if !cfg!(all(target_os = "linux", feature = "io-uring")) {
        assert_eq!(reader.backend(), Backend::Pread);
    }
}

/// The `VmFlags` line of the mapping that starts at `addr`, from `/proc/self/smaps`.
#[cfg(target_os = "linux")]
fn vm_flags(addr: usize) -> String {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut in_map = false;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ')
            && let Some((start, _)) = range.split_once('-')
            && let Ok(start) = usize::from_str_radix(start, 16)
        {
            in_map = start == addr;
        } else if in_map && line.starts_with("VmFlags:") {
            return line.to_string();
        }
    }
    panic!("no mapping at {addr:#x}");
}

#[test]
#[cfg(target_os = "linux")]
fn advice_belongs_to_its_map_and_survives_a_remap() {
    let dir = tempfile::tempdir().unwrap();
    let mut random = MmapFileMut::create(dir.path().join("random"), 4 * page_size()).unwrap();
    let plain = MmapFileMut::create(dir.path().join("plain"), 4 * page_size()).unwrap();
    random.advise(Advice::Random).unwrap();
    // The kernel marks MADV_RANDOM maps "rr" in smaps; the other map is left alone.
    assert!(vm_flags(random.bytes().as_ptr() as usize).contains(" rr"));
    assert!(!vm_flags(plain.bytes().as_ptr() as usize).contains(" rr"));
    // Growing remaps the file: the advice is given again to the new map.
    random.grow(64 * page_size()).unwrap();
    assert!(vm_flags(random.bytes().as_ptr() as usize).contains(" rr"));
    let mut reader = MmapFile::open(dir.path().join("random")).unwrap();
    reader.advise(Advice::Sequential).unwrap();
    assert!(vm_flags(reader.bytes().as_ptr() as usize).contains(" sr"));
    random.grow(128 * page_size()).unwrap();
    assert!(reader.reload().unwrap());
    assert!(vm_flags(reader.bytes().as_ptr() as usize).contains(" sr"));
}
