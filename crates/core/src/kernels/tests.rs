//! The dispatch table and the helpers of the kernels module (each family tests its own
//! kernels in its folder).

use super::*;

#[test]
fn best_is_the_highest_available_level() {
    let best = Kernels::best().level;
    assert!(Kernels::available().iter().all(|k| k.level <= best));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        assert!(best >= SimdLevel::Avx2);
    }
}

#[test]
fn checked_entry_points_and_normalize() {
    assert_eq!(dot_f32(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
    assert_eq!(l2sq_f32(&[1.0, 2.0], &[3.0, 4.0]), 8.0);
    assert_eq!(l1_f32(&[1.0, 2.0], &[3.0, 5.0]), 5.0);
    assert_eq!(hamming(&[0b1011], &[0b0001]), 2);
    let mut v = [3.0, 4.0];
    assert_eq!(normalize_f32(&mut v), 5.0);
    assert!((dot_f32(&v, &v) - 1.0).abs() < 1e-6);
    let mut zero = [0.0f32; 3];
    assert_eq!(normalize_f32(&mut zero), 0.0);
    assert_eq!(zero, [0.0; 3]);
}

#[test]
#[should_panic(expected = "slices differ in length")]
fn mismatched_lengths_panic_in_checked_entry_points() {
    dot_f32(&[1.0, 2.0], &[1.0]);
}
