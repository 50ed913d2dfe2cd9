//! Kruskal-Wallis H test and Dunn's post-hoc test on mid-ranks, both tie-corrected.

use crate::special::{chi2_sf, normal_sf};
use crate::MetricsError;
use serde::{Deserialize, Serialize};

/// Result of [`kruskal_wallis`].
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct KruskalWallis {
    /// Tie-corrected H statistic.
    pub h: f64,
    /// Chi-square survival probability of `h` with `df` degrees of freedom.
    pub p_value: f64,
    /// Number of groups minus one.
    pub df: usize,
}

/// Pooled ranking of all groups.
struct PooledRanks {
    /// Sum of mid-ranks (1-based, ties averaged) of each group's values.
    rank_sums: Vec<f64>,
    sizes: Vec<usize>,
    total: usize,
    /// Sum over tie groups of (t^3 - t).
    tie_sum: f64,
}

fn pooled_ranks(groups: &[&[f64]]) -> Result<PooledRanks, MetricsError> {
    if groups.len() < 2 {
        return Err(MetricsError::InvalidParameter(format!(
            "rank tests need at least two groups, got {}",
            groups.len()
        )));
    }
    let mut pooled = Vec::new();
    for (group, values) in groups.iter().enumerate() {
        if values.is_empty() {
            return Err(MetricsError::EmptyGroup { group });
        }
        for (index, &value) in values.iter().enumerate() {
            if !value.is_finite() {
                return Err(MetricsError::NonFiniteInGroup {
                    group,
                    index,
                    value,
                });
            }
            pooled.push((value, group));
        }
    }
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut rank_sums = vec![0.0; groups.len()];
    let mut tie_sum = 0.0;
    let mut start = 0;
    while start < pooled.len() {
        let end = start
            + pooled[start..]
                .iter()
                .take_while(|p| p.0 == pooled[start].0)
                .count();
        // Positions start..end (0-based) share the mean of ranks start+1 ..= end.
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        for &(_, group) in &pooled[start..end] {
            rank_sums[group] += mid_rank;
        }
        let tied = (end - start) as f64;
        tie_sum += tied * tied * tied - tied;
        start = end;
    }
    let total = pooled.len();
    let n = total as f64;
    if tie_sum == n * n * n - n {
        return Err(MetricsError::AllValuesIdentical);
    }
    let sizes = groups.iter().map(|g| g.len()).collect();
    Ok(PooledRanks {
        rank_sums,
        sizes,
        total,
        tie_sum,
    })
}

/// Kruskal-Wallis H test with tie correction (= `scipy.stats.kruskal`).
pub fn kruskal_wallis(groups: &[&[f64]]) -> Result<KruskalWallis, MetricsError> {
    let ranks = pooled_ranks(groups)?;
    let n = ranks.total as f64;
    let between: f64 = ranks
        .rank_sums
        .iter()
        .zip(&ranks.sizes)
        .map(|(r, &s)| r * r / s as f64)
        .sum();
    let h_uncorrected = 12.0 / (n * (n + 1.0)) * between - 3.0 * (n + 1.0);
    let h = h_uncorrected / (1.0 - ranks.tie_sum / (n * n * n - n));
    let df = groups.len() - 1;
    Ok(KruskalWallis {
        h,
        p_value: chi2_sf(h, df as f64),
        df,
    })
}

/// Dunn's pairwise test of mean ranks with tie correction and Bonferroni adjustment
/// (= `scikit_posthocs.posthoc_dunn(p_adjust="bonferroni")`). Returns a symmetric matrix
/// of adjusted two-sided p-values with 1 on the diagonal.
pub fn dunn_bonferroni(groups: &[&[f64]]) -> Result<Vec<Vec<f64>>, MetricsError> {
    let ranks = pooled_ranks(groups)?;
    let n = ranks.total as f64;
    let k = groups.len();
    let comparisons = (k * (k - 1) / 2) as f64;
    let variance_scale = n * (n + 1.0) / 12.0 - ranks.tie_sum / (12.0 * (n - 1.0));
    let mean_rank = |g: usize| ranks.rank_sums[g] / ranks.sizes[g] as f64;
    let adjusted_p = |i: usize, j: usize| {
        let size_term = 1.0 / ranks.sizes[i] as f64 + 1.0 / ranks.sizes[j] as f64;
        let z = (mean_rank(i) - mean_rank(j)).abs() / (variance_scale * size_term).sqrt();
        (2.0 * normal_sf(z) * comparisons).min(1.0)
    };
    Ok((0..k)
        .map(|i| {
            (0..k)
                .map(|j| if i == j { 1.0 } else { adjusted_p(i, j) })
                .collect()
        })
        .collect())
}
