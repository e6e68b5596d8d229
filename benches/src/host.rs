//! What the machine is and how busy it was: host facts, load average, CPU time, peak RSS.
//! Linux reads `/proc`; elsewhere the fields are left out rather than guessed.

use serde_json::{Value, json};
use std::time::Duration;

/// Host facts recorded with every result file (same keys as the peers harness).
pub fn host_info() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let mem_gib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let kb: f64 = s
            .lines()
            .find(|l| l.starts_with("MemTotal"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some((kb / (1024.0 * 1024.0) * 10.0).round() / 10.0)
    });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string());
    json!({
        "cpu": cpu,
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "mem_gib": mem_gib,
        "kernel": kernel,
        "machine": std::env::consts::ARCH,
        "simd_level": sextant_core::Kernels::best().level.name(),
    })
}

/// The 1, 5 and 15 minute load averages, when the OS tells them.
pub fn loadavg() -> Option<[f64; 3]> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = s.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// CPU time (user + system) used by this process so far, all threads.
pub fn process_cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the zero-initialized struct we pass.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut u) != 0 {
            return Duration::ZERO;
        }
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A memory figure of `/proc/self/status` (`VmHWM`, `VmRSS`, ...) in MiB, when the OS tells it.
/// A `/proc/self/status` size field (`VmRSS`, `RssAnon`, `RssFile`...) in MiB.
pub fn status_mib(field: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Peak resident set size (VmHWM) of this process in MiB, when the OS tells it.
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM")
}

/// Resident set size (VmRSS) of this process in MiB, when the OS tells it.
pub fn rss_mib() -> Option<f64> {
    status_mib("VmRSS")
}

/// Resets the peak-RSS high-water mark to the current RSS (Linux `clear_refs` = 5), so that a
/// following [`peak_rss_mib`] measures the peak of what runs in between. Returns false when the
/// kernel refused.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
