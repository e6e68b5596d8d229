//! What every x86_64 kernel file shares: runtime feature detection, and the two macros that
//! turn a file's `#[target_feature]` kernels into a family's table of safe functions.
//!
//! A `#[target_feature]` function may only run on a CPU that has the features, so it cannot be
//! a safe `fn` pointer. Each level's table wraps its kernels in safe functions, and a table is
//! only handed out (`Kernels::for_level`) after `has_avx2` / `has_avx512` confirmed every
//! feature its files enable.

/// True when the CPU supports everything the AVX2 kernels are compiled for.
pub(super) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// True when the CPU supports everything the AVX-512 kernels are compiled for.
pub(super) fn has_avx512() -> bool {
    has_avx2()
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
}

/// True when the CPU also has AVX-512 VNNI (`vpdpbusd`), which the nibble kernels use where
/// present (Cascade Lake, Ice Lake and later Intel; Zen 4 and later AMD).
pub(super) fn has_avx512_vnni() -> bool {
    has_avx512() && std::arch::is_x86_feature_detected!("avx512vnni")
}

/// True when the CPU also has AVX-512 BF16 (`vdpbf16ps`): Cooper Lake and Sapphire Rapids
/// Intel, Zen 4 and later AMD.
pub(super) fn has_avx512_bf16() -> bool {
    has_avx512() && std::arch::is_x86_feature_detected!("avx512bf16")
}

/// `pub(super) const TABLE: $family`: one safe wrapper per field, calling the file's
/// `#[target_feature]` kernel of the same name.
macro_rules! table {
    ($family:ident { $($name:ident($($arg:ident: $t:ty),*) -> $r:ty;)* }) => {
        /// This level's table: safe wrappers, handed out only after runtime detection.
        pub(super) const TABLE: $family = {
            $(
                fn $name($($arg: $t),*) -> $r {
                    // SAFETY: this wrapper is only reachable through this level's table, which
                    // `Kernels::for_level` hands out after detecting every feature the kernel
                    // enables (`has_avx2` / `has_avx512`, and `has_avx512_vnni` for a VNNI
                    // table).
                    unsafe { self::$name($($arg),*) }
                }
            )*
            $family { $($name),* }
        };
    };
}

/// Instantiates lane bodies (`super::lanes::$name`, plain Rust that LLVM vectorizes) as this
/// file's `#[target_feature]` kernels, compiled for the level's `$features`.
macro_rules! lanes {
    ($features:literal { $($name:ident($($arg:ident: $t:ty),*) -> $r:ty;)* }) => {
        $(
            #[target_feature(enable = $features)]
            fn $name($($arg: $t),*) -> $r {
                super::lanes::$name($($arg),*)
            }
        )*
    };
}

pub(crate) use {lanes, table};
