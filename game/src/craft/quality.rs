//! The quality of a crafted item: the one integer formula, defined here and used everywhere.
//!
//! Inputs: the ingredient stacks a craft uses (each a quality and how many of it were used),
//! the qualities of the tools it uses, the recipe's weights and the crafter's crafting
//! experience.
//!
//! 1. Per ingredient kind `k`, the count-weighted mean of the stacks used:
//!    `mean_k = Σ(q·n) / N_k`, with `N_k = Σn` ([`kind_mean`]).
//! 2. Across kinds, weighted by count: `Qi = Σ(N_k·mean_k) / Σ N_k` ([`ingredients_quality`]).
//! 3. The mean quality of the tools used, `Qt = Σq / tools`; `Qt = Qi` when the recipe uses no
//!    tool ([`tools_quality`]).
//! 4. `base = (wi·Qi + wt·Qt) / (wi + wt)`, with `wi = 4`, `wt = 1` ([`Weights::DEFAULT`])
//!    unless the recipe's `weights` say otherwise ([`base_quality`]).
//! 5. The crafter's skill `S = 10 + isqrt(experience)` ([`skill`]). When `S < base` the result
//!    is `(base + S) / 2` (a soft cap: an unskilled crafter wastes part of good materials),
//!    otherwise `base` ([`soft_cap`]).
//!
//! **Rounding**: every `/` is integer division, truncating, taken at each step in the order
//! above (a kind's mean is truncated before it enters `Qi`, `Qi` before it enters `base`).
//! `isqrt(n)` is the exact floor of the square root: the largest `r` with `r·r ≤ n`.
//!
//! **Overflow**: qualities are `u32`, experience `u64`; every sum and product is computed in
//! `u64`. With at most `2^32 − 1` items used in all (a craft uses at most 65,535 items per
//! repetition, content validation, times at most 65,535 repetitions) and weights at most
//! [`Weights::MAX`], no intermediate exceeds `u64`: `Σ(q·n) < 2^32·2^32`. The arithmetic
//! saturates rather than wraps, so even inputs beyond those bounds never panic; each step's
//! result is a mean of qualities and so fits `u32` again. An empty list of stacks has mean 0.
//!
//! Consequences (tested in `game/tests/craft_quality.rs`): the result is never above the
//! highest quality used, never below the lowest quality used or the skill, whichever is lower,
//! and never falls when experience grows.

/// How much the ingredients and the tools count in the base quality (step 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    /// Weight of `Qi`.
    pub ingredients: u32,
    /// Weight of `Qt`.
    pub tools: u32,
}

impl Weights {
    /// Ingredients count four times as much as tools.
    pub const DEFAULT: Weights = Weights { ingredients: 4, tools: 1 };
    /// Largest weight content may give (either one).
    pub const MAX: u32 = 1000;
}

impl Default for Weights {
    fn default() -> Weights {
        Weights::DEFAULT
    }
}

/// How many items of one quality a craft used (part or all of one stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Used {
    /// Their quality.
    pub quality: u32,
    /// How many were used.
    pub count: u32,
}

/// One ingredient kind's count-weighted mean quality (step 1) and how many items of it were
/// used, the weight of the kind in step 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindMean {
    /// `Σ(q·n) / N`, truncated.
    pub mean: u32,
    /// `N = Σn`.
    pub count: u64,
}

/// Every step of one craft's quality, for the result and for telling the player why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualityBreakdown {
    /// `Qi`, the ingredients' quality.
    pub ingredients: u32,
    /// `Qt`, the tools' quality (`Qi` without tools).
    pub tools: u32,
    /// `base`, the weighted mean of the two.
    pub base: u32,
    /// `S`, the crafter's skill.
    pub skill: u64,
    /// The quality of what is made.
    pub result: u32,
}

/// Step 1: the count-weighted mean quality of the stacks of one kind (0 for none).
pub fn kind_mean(stacks: &[Used]) -> KindMean {
    let (mut sum, mut count) = (0u64, 0u64);
    for s in stacks {
        sum = sum.saturating_add(u64::from(s.quality).saturating_mul(u64::from(s.count)));
        count = count.saturating_add(u64::from(s.count));
    }
    KindMean { mean: mean(sum, count), count }
}

/// Step 2: `Qi`, the kinds' means weighted by their counts (0 for none).
pub fn ingredients_quality(kinds: &[KindMean]) -> u32 {
    let (mut sum, mut count) = (0u64, 0u64);
    for k in kinds {
        sum = sum.saturating_add(u64::from(k.mean).saturating_mul(k.count));
        count = count.saturating_add(k.count);
    }
    mean(sum, count)
}

/// Step 3: `Qt`, the mean quality of the tools used; `None` when there are none (then
/// `Qt = Qi`).
pub fn tools_quality(tools: &[u32]) -> Option<u32> {
    if tools.is_empty() {
        return None;
    }
    let sum = tools.iter().fold(0u64, |s, &q| s.saturating_add(u64::from(q)));
    Some(mean(sum, tools.len() as u64))
}

/// Step 4: `base = (wi·Qi + wt·Qt) / (wi + wt)`, `Qt = Qi` without tools. Weights summing to
/// 0 (refused by content validation) give `Qi`.
pub fn base_quality(qi: u32, qt: Option<u32>, w: Weights) -> u32 {
    let qt = qt.unwrap_or(qi);
    let (wi, wt) = (u64::from(w.ingredients), u64::from(w.tools));
    if wi + wt == 0 {
        return qi;
    }
    let sum = (wi * u64::from(qi)).saturating_add(wt * u64::from(qt));
    mean(sum, wi + wt)
}

/// The floor of the square root of `n`: the largest `r` with `r·r ≤ n` (exact for every `u64`).
pub fn isqrt(n: u64) -> u64 {
    n.isqrt()
}

/// Step 5's skill: `S = 10 + isqrt(experience)`.
pub fn skill(experience: u64) -> u64 {
    10 + isqrt(experience)
}

/// Step 5: `base` soft-capped by the skill of a crafter with `experience`: `(base + S) / 2`
/// when `S < base`, else `base`.
pub fn soft_cap(base: u32, experience: u64) -> u32 {
    let s = skill(experience);
    let base64 = u64::from(base);
    if s < base64 { mean(base64 + s, 2) } else { base }
}

/// The whole formula: the quality of what a craft makes, with every step.
pub fn craft_quality(kinds: &[KindMean], tools: &[u32], w: Weights, experience: u64) -> QualityBreakdown {
    let qi = ingredients_quality(kinds);
    let qt = tools_quality(tools);
    let base = base_quality(qi, qt, w);
    QualityBreakdown {
        ingredients: qi,
        tools: qt.unwrap_or(qi),
        base,
        skill: skill(experience),
        result: soft_cap(base, experience),
    }
}

/// `sum / count`, truncated, as a quality (0 when `count` is 0). Every caller divides a sum
/// of at most `count` values of at most `u32::MAX`, so the quotient fits; it saturates if not.
fn mean(sum: u64, count: u64) -> u32 {
    if count == 0 {
        return 0;
    }
    u32::try_from(sum / count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(pairs: &[(u32, u32)]) -> Vec<Used> {
        pairs.iter().map(|&(quality, count)| Used { quality, count }).collect()
    }

    #[test]
    fn a_stone_axe_by_a_novice_and_by_a_practised_hand() {
        // Branches: 2 of quality 10 → mean 20/2 = 10.
        let branch = kind_mean(&used(&[(10, 2)]));
        assert_eq!(branch, KindMean { mean: 10, count: 2 });
        // Stones: 2 of quality 20 and 1 of 11 → (40 + 11)/3 = 51/3 = 17.
        let stone = kind_mean(&used(&[(20, 2), (11, 1)]));
        assert_eq!(stone, KindMean { mean: 17, count: 3 });
        // Qi = (2·10 + 3·17)/5 = 71/5 = 14 (14.2 truncated). No tool: Qt = Qi = 14.
        // base = (4·14 + 1·14)/5 = 70/5 = 14.
        // Experience 0: S = 10 + 0 = 10 < 14 → (14 + 10)/2 = 12.
        let novice = craft_quality(&[branch, stone], &[], Weights::DEFAULT, 0);
        let expected = QualityBreakdown { ingredients: 14, tools: 14, base: 14, skill: 10, result: 12 };
        assert_eq!(novice, expected);
        // Experience 16: S = 10 + 4 = 14, not below 14 → 14.
        assert_eq!(craft_quality(&[branch, stone], &[], Weights::DEFAULT, 16).result, 14);
        // Experience 15: isqrt(15) = 3, S = 13 < 14 → (14 + 13)/2 = 27/2 = 13.
        assert_eq!(craft_quality(&[branch, stone], &[], Weights::DEFAULT, 15).result, 13);
    }

    #[test]
    fn a_box_made_with_an_axe() {
        // Logs: 3 of quality 30, 1 of 34 → (90 + 34)/4 = 124/4 = 31 = Qi.
        let logs = kind_mean(&used(&[(30, 3), (34, 1)]));
        // Qt = 50 (one axe). base = (4·31 + 1·50)/5 = 174/5 = 34 (34.8 truncated).
        // Experience 100: S = 10 + 10 = 20 < 34 → (34 + 20)/2 = 27.
        let q = craft_quality(&[logs], &[50], Weights::DEFAULT, 100);
        assert_eq!(q, QualityBreakdown { ingredients: 31, tools: 50, base: 34, skill: 20, result: 27 });
        // Experience 576: S = 10 + 24 = 34, not below 34 → 34.
        assert_eq!(craft_quality(&[logs], &[50], Weights::DEFAULT, 576).result, 34);
        // Weights 1:1 → base = (31 + 50)/2 = 81/2 = 40; S = 10 + isqrt(10_000) = 110 → 40.
        let even = Weights { ingredients: 1, tools: 1 };
        assert_eq!(craft_quality(&[logs], &[50], even, 10_000).result, 40);
        // Weights 0:1 → base = Qt = 50.
        let tools_only = Weights { ingredients: 0, tools: 1 };
        assert_eq!(craft_quality(&[logs], &[50], tools_only, 10_000).result, 50);
    }

    #[test]
    fn two_tools_average_and_truncation_compounds() {
        // Tools 7 and 8 → Qt = 15/2 = 7.
        assert_eq!(tools_quality(&[7, 8]), Some(7));
        assert_eq!(tools_quality(&[]), None);
        // Kind a: 1 of 1, 1 of 2 → 3/2 = 1; kind b: 1 of 2 → 2. Qi = (2·1 + 1·2)/3 = 4/3 = 1,
        // where the exact mean over all items would be 5/3 = 1.67: a kind's mean is truncated
        // first.
        let a = kind_mean(&used(&[(1, 1), (2, 1)]));
        let b = kind_mean(&used(&[(2, 1)]));
        assert_eq!(ingredients_quality(&[a, b]), 1);
        assert_eq!(kind_mean(&[]), KindMean { mean: 0, count: 0 });
        assert_eq!(ingredients_quality(&[]), 0);
    }

    #[test]
    fn the_extremes_neither_overflow_nor_panic() {
        let top = u32::MAX;
        // 2^32 − 1 items of quality 2^32 − 1: Σ(q·n) = (2^32 − 1)^2 < 2^64, mean exact.
        let k = kind_mean(&used(&[(top, top)]));
        assert_eq!(k, KindMean { mean: top, count: u64::from(top) });
        // base = (4·top + top)/5 = top; S = 10 + isqrt(2^64 − 1) = 10 + 2^32 − 1 ≥ top → top.
        assert_eq!(craft_quality(&[k], &[top], Weights::DEFAULT, u64::MAX).result, top);
        // Beyond the bound (2^33 − 2 items in all) Σ(N_k·mean_k) saturates: the result is
        // wrong but still a quality, and nothing panics.
        assert!(craft_quality(&[k, k], &[top], Weights::DEFAULT, u64::MAX).result <= top);
        // Experience 0 under base top: (top + 10)/2 in u64 = 2^31 + 4.
        assert_eq!(soft_cap(top, 0), ((u64::from(top) + 10) / 2) as u32);
        let max_w = Weights { ingredients: Weights::MAX, tools: Weights::MAX };
        assert_eq!(base_quality(top, Some(top), max_w), top);
        assert_eq!(base_quality(9, Some(1), Weights { ingredients: 0, tools: 0 }), 9);
    }

    #[test]
    fn isqrt_worked_values() {
        let cases = [(0, 0), (1, 1), (3, 1), (4, 2), (15, 3), (16, 4), (99, 9), (100, 10)];
        for (n, r) in cases {
            assert_eq!(isqrt(n), r, "isqrt({n})");
        }
        assert_eq!(isqrt(u64::MAX), u64::from(u32::MAX));
        assert_eq!(skill(0), 10);
        assert_eq!(skill(400), 30);
    }
}
