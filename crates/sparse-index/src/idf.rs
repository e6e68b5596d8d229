//! Qdrant's IDF modifier: a query term's weight is multiplied by
//! `ln((N − df + 0.5) / (df + 0.5) + 1)`, with `N` the live documents and `df` the live
//! documents holding the term (BM25's IDF, never negative).

/// The IDF of a term held by `df` of `n` live documents (computed in f64, returned as f32).
pub fn idf(n: usize, df: usize) -> f32 {
    let (n, df) = (n as f64, df as f64);
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_terms_weigh_more_and_none_is_negative() {
        assert!(idf(1000, 1) > idf(1000, 10));
        assert!(idf(1000, 1000) > 0.0);
        assert!((idf(10, 5) - (1.0f64 + 5.5 / 5.5).ln() as f32).abs() < 1e-7);
    }
}
