//! Properties of the crafted-quality formula (`game::craft::quality`): the result lies between
//! the qualities used (or the crafter's skill, when lower), never falls as experience grows,
//! is the base once the skill reaches it, and `isqrt` is the exact floor square root.

use game::craft::quality::{base_quality, ingredients_quality, tools_quality};
use game::craft::{KindMean, Used, Weights, craft_quality, isqrt, kind_mean, skill};
use proptest::prelude::*;

/// Up to four ingredient kinds of up to four stacks each, and up to three tools; counts keep
/// the total under 2^32 items (the formula's stated bound).
fn inputs() -> impl Strategy<Value = (Vec<Vec<Used>>, Vec<u32>, Weights)> {
    let used = (any::<u32>(), 1u32..=65_535).prop_map(|(quality, count)| Used { quality, count });
    let kinds = prop::collection::vec(prop::collection::vec(used, 1..=4), 1..=4);
    let tools = prop::collection::vec(any::<u32>(), 0..=3);
    let weights = (0u32..=Weights::MAX, 0u32..=Weights::MAX)
        .prop_filter("weights sum above 0", |(i, t)| i + t > 0)
        .prop_map(|(ingredients, tools)| Weights { ingredients, tools });
    (kinds, tools, weights)
}

fn means(kinds: &[Vec<Used>]) -> Vec<KindMean> {
    kinds.iter().map(|k| kind_mean(k)).collect()
}

fn all_qualities(kinds: &[Vec<Used>], tools: &[u32]) -> Vec<u32> {
    kinds.iter().flatten().map(|u| u.quality).chain(tools.iter().copied()).collect()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_result_lies_between_the_qualities_used((kinds, tools, w) in inputs(), experience in any::<u64>()) {
        let q = craft_quality(&means(&kinds), &tools, w, experience);
        let all = all_qualities(&kinds, &tools);
        let (lowest, highest) = (*all.iter().min().unwrap(), *all.iter().max().unwrap());
        prop_assert!(q.result <= highest, "{q:?} above the best input {highest}");
        prop_assert!(u64::from(q.result) >= u64::from(lowest).min(q.skill), "{q:?} below min({lowest}, skill)");
        prop_assert!(q.result <= q.base);
        // Each step is a mean of what it combines.
        let (qi_lo, qi_hi) = kinds.iter().flatten().fold((u32::MAX, 0), |(lo, hi), u| (lo.min(u.quality), hi.max(u.quality)));
        prop_assert!((qi_lo..=qi_hi).contains(&q.ingredients));
        prop_assert!(q.base >= q.ingredients.min(q.tools) && q.base <= q.ingredients.max(q.tools));
        if tools.is_empty() {
            prop_assert_eq!(q.tools, q.ingredients);
        }
    }

    #[test]
    fn more_experience_never_lowers_the_result((kinds, tools, w) in inputs(), a in any::<u64>(), b in any::<u64>()) {
        let (low, high) = (a.min(b), a.max(b));
        let m = means(&kinds);
        let (ql, qh) = (craft_quality(&m, &tools, w, low), craft_quality(&m, &tools, w, high));
        prop_assert!(ql.result <= qh.result, "{low} → {ql:?}, {high} → {qh:?}");
        // Once the skill reaches the base, the result is the base.
        if qh.skill >= u64::from(qh.base) {
            prop_assert_eq!(qh.result, qh.base);
        } else {
            prop_assert_eq!(u64::from(qh.result), (u64::from(qh.base) + qh.skill) / 2);
        }
    }

    #[test]
    fn the_steps_compose_as_documented((kinds, tools, w) in inputs(), experience in any::<u64>()) {
        let m = means(&kinds);
        let qi = ingredients_quality(&m);
        let qt = tools_quality(&tools);
        let base = base_quality(qi, qt, w);
        let q = craft_quality(&m, &tools, w, experience);
        prop_assert_eq!((q.ingredients, q.tools, q.base, q.skill), (qi, qt.unwrap_or(qi), base, skill(experience)));
        // Step 1 and 2 by hand, in u128 (no overflow possible), truncating at each step.
        let exact: Vec<(u128, u128)> = kinds.iter().map(|k| {
            let n: u128 = k.iter().map(|u| u128::from(u.count)).sum();
            (k.iter().map(|u| u128::from(u.quality) * u128::from(u.count)).sum::<u128>() / n, n)
        }).collect();
        for (mean, (m_exact, n)) in m.iter().zip(&exact) {
            prop_assert_eq!((u128::from(mean.mean), u128::from(mean.count)), (*m_exact, *n));
        }
        let n: u128 = exact.iter().map(|e| e.1).sum();
        prop_assert_eq!(u128::from(qi), exact.iter().map(|(m, n)| m * n).sum::<u128>() / n);
        let qt = u128::from(qt.unwrap_or(qi));
        let (wi, wt) = (u128::from(w.ingredients), u128::from(w.tools));
        prop_assert_eq!(u128::from(base), (wi * u128::from(qi) + wt * qt) / (wi + wt));
    }

    #[test]
    fn a_kinds_mean_ignores_the_order_of_its_stacks(mut stacks in prop::collection::vec((any::<u32>(), 1u32..=65_535).prop_map(|(quality, count)| Used { quality, count }), 1..8)) {
        let before = kind_mean(&stacks);
        stacks.reverse();
        prop_assert_eq!(kind_mean(&stacks), before);
    }

    #[test]
    fn isqrt_is_the_exact_floor_square_root(n in any::<u64>()) {
        let r = u128::from(isqrt(n));
        prop_assert!(r * r <= u128::from(n) && u128::from(n) < (r + 1) * (r + 1), "isqrt({n}) = {r}");
    }

    #[test]
    fn isqrt_is_exact_around_squares(r in 0u64..=u64::from(u32::MAX)) {
        let square = r * r;
        prop_assert_eq!(isqrt(square), r);
        if square > 0 {
            prop_assert_eq!(isqrt(square - 1), r - 1);
        }
        prop_assert_eq!(isqrt(square.saturating_add(2 * r)), r, "just below (r + 1)^2");
    }
}
