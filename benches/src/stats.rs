//! Latency statistics of one timed pass, as the bench protocol defines them.

use std::time::Duration;

/// Figures of one pass of single queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassStats {
    /// Queries divided by the summed per-query times.
    pub qps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Mean latency, microseconds.
    pub mean_us: f64,
}

impl PassStats {
    /// Statistics of per-query latencies (nearest-rank percentiles). `None` when empty.
    pub fn from_latencies(latencies: &[Duration]) -> Option<Self> {
        if latencies.is_empty() {
            return None;
        }
        let mut us: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        us.sort_by(f64::total_cmp);
        let total: f64 = us.iter().sum();
        let pct = |p: f64| us[((p * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1];
        Some(Self {
            qps: us.len() as f64 / (total / 1e6),
            p50_us: pct(0.50),
            p99_us: pct(0.99),
            mean_us: total / us.len() as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_qps() {
        let l: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let s = PassStats::from_latencies(&l).unwrap();
        assert_eq!(s.p50_us, 50.0);
        assert_eq!(s.p99_us, 99.0);
        assert_eq!(s.mean_us, 50.5);
        assert!((s.qps - 100.0 / 5050e-6).abs() < 1e-6);
        assert!(PassStats::from_latencies(&[]).is_none());
    }
}
