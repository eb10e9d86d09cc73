//! Monthly usage, limits, overage and spend.
//!
//! `usage` is what an organization sent in a calendar month (UTC); its `limit` is the
//! monthly allowance; whatever is sent beyond it is the overage, billed at a configured
//! price per 1,000 messages. `spend` is never stored: it is always computed from the
//! overage and the price.

use crate::organization::MonthlyLimit;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::fmt;

/// A calendar month (UTC), held as its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(NaiveDate);

impl Month {
    /// The month `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        Self(at.date_naive().with_day(1).expect("day 1 exists"))
    }

    /// The month that starts on `first_day`, if it is a first day.
    pub fn starting(first_day: NaiveDate) -> Option<Self> {
        (first_day.day() == 1).then_some(Self(first_day))
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        self.0
    }

    /// The month before.
    pub fn previous(self) -> Self {
        let day_before = self.0.pred_opt().expect("a day before exists");
        Self(day_before.with_day(1).expect("day 1 exists"))
    }

    /// This month and the `n - 1` before it, newest first.
    pub fn last(self, n: usize) -> Vec<Month> {
        std::iter::successors(Some(self), |m| Some(m.previous()))
            .take(n)
            .collect()
    }
}

impl fmt::Display for Month {
    /// `YYYY-MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

/// The price of overage: cents per 1,000 messages beyond the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OveragePrice {
    /// Cents per 1,000 messages.
    pub cents_per_thousand: u64,
}

/// One organization's usage in one month, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyUsage {
    /// The month.
    pub month: Month,
    /// Messages sent.
    pub usage: u64,
    /// The allowance (`None`: unlimited).
    pub limit: Option<MonthlyLimit>,
    /// Messages beyond the allowance.
    pub overage: u64,
    /// What the overage costs, in cents.
    pub spend: u64,
}

impl MonthlyUsage {
    /// Computes overage and spend from usage, limit and price.
    ///
    /// ```
    /// # use orgplane_domain::usage::*;
    /// # use orgplane_domain::organization::MonthlyLimit;
    /// # use chrono::Utc;
    /// let price = OveragePrice { cents_per_thousand: 50 };
    /// let u = MonthlyUsage::compute(Month::of(Utc::now()), 2_501, MonthlyLimit::new(500).ok(), price);
    /// assert_eq!(u.overage, 2_001);
    /// assert_eq!(u.spend, 101); // 2,001 × 50 / 1,000 = 100.05, rounded up
    /// ```
    pub fn compute(
        month: Month,
        usage: u64,
        limit: Option<MonthlyLimit>,
        price: OveragePrice,
    ) -> Self {
        let overage = limit.map_or(0, |l| usage.saturating_sub(l.get() as u64));
        // Rounded up: a started cent is charged.
        let spend = (u128::from(overage) * u128::from(price.cents_per_thousand)).div_ceil(1000);
        Self {
            month,
            usage,
            limit,
            overage,
            spend: u64::try_from(spend).unwrap_or(u64::MAX),
        }
    }
}

/// Usage summed over an organization and its descendants in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rollup {
    /// Messages sent by all of them.
    pub usage: u64,
    /// The sum of each one's overage (one organization's unused allowance never covers
    /// another's overage).
    pub overage: u64,
    /// The sum of each one's spend, in cents.
    pub spend: u64,
}

impl Rollup {
    /// Sums the usage of several organizations in one month.
    pub fn of<'a>(usages: impl IntoIterator<Item = &'a MonthlyUsage>) -> Self {
        usages.into_iter().fold(Self::default(), |acc, u| Self {
            usage: acc.usage + u.usage,
            overage: acc.overage + u.overage,
            spend: acc.spend + u.spend,
        })
    }
}

/// A share of the monthly limit worth recording when first reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Threshold {
    /// 80 % of the limit.
    Warning,
    /// 100 % of the limit.
    Reached,
}

impl Threshold {
    /// Both thresholds, lowest first.
    pub const ALL: [Threshold; 2] = [Threshold::Warning, Threshold::Reached];

    /// The share of the limit, in percent.
    pub fn percent(self) -> u8 {
        match self {
            Self::Warning => 80,
            Self::Reached => 100,
        }
    }

    /// Whether `usage` has reached this share of `limit`.
    pub fn reached_by(self, usage: u64, limit: MonthlyLimit) -> bool {
        u128::from(usage) * 100 >= u128::from(self.percent()) * limit.get() as u128
    }
}

/// The thresholds that `usage` reaches and that were not recorded yet this month
/// (`recorded`: the highest one recorded so far), lowest first. With no limit there is
/// nothing to reach.
///
/// ```
/// # use orgplane_domain::usage::{newly_reached, Threshold};
/// # use orgplane_domain::organization::MonthlyLimit;
/// let limit = MonthlyLimit::new(100).ok();
/// assert_eq!(newly_reached(None, 85, limit), vec![Threshold::Warning]);
/// assert_eq!(newly_reached(Some(Threshold::Warning), 85, limit), vec![]);
/// assert_eq!(newly_reached(None, 100, limit), vec![Threshold::Warning, Threshold::Reached]);
/// ```
pub fn newly_reached(
    recorded: Option<Threshold>,
    usage: u64,
    limit: Option<MonthlyLimit>,
) -> Vec<Threshold> {
    let Some(limit) = limit else {
        return Vec::new();
    };
    Threshold::ALL
        .into_iter()
        .filter(|t| recorded.is_none_or(|r| *t > r))
        .filter(|t| t.reached_by(usage, limit))
        .collect()
}

/// Where increments applied in turn to a month's usage (`before`, with `recorded` its
/// highest recorded threshold) reach new thresholds: for each increment that does, its
/// index, the usage after it and the thresholds it reaches, lowest first. Batches
/// committed together are each credited with what they would have reached alone, in
/// order; an increment of nothing reaches nothing (a limit lowered below the usage is
/// reached by the next message, not by a batch that sent none).
///
/// ```
/// # use orgplane_domain::usage::{reached_in_turn, Threshold};
/// # use orgplane_domain::organization::MonthlyLimit;
/// let limit = MonthlyLimit::new(100).ok();
/// let reached = reached_in_turn(None, 70, &[5, 10, 3, 20], limit);
/// assert_eq!(reached, vec![(1, 85, vec![Threshold::Warning]), (3, 108, vec![Threshold::Reached])]);
/// ```
pub fn reached_in_turn(
    recorded: Option<Threshold>,
    before: u64,
    increments: &[u64],
    limit: Option<MonthlyLimit>,
) -> Vec<(usize, u64, Vec<Threshold>)> {
    let (mut usage, mut highest) = (before, recorded);
    let mut turns = Vec::new();
    for (index, increment) in increments.iter().enumerate() {
        if *increment == 0 {
            continue;
        }
        usage = usage.saturating_add(*increment);
        let reached = newly_reached(highest, usage, limit);
        if let Some(last) = reached.last() {
            highest = Some(*last);
            turns.push((index, usage, reached));
        }
    }
    turns
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn month(y: i32, m: u32) -> Month {
        Month::starting(NaiveDate::from_ymd_opt(y, m, 1).unwrap()).unwrap()
    }

    #[test]
    fn a_month_is_its_utc_calendar_month() {
        let last_second = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(Month::of(last_second), month(2026, 12));
        assert_eq!(Month::of(last_second).to_string(), "2026-12");
        assert_eq!(month(2026, 1).previous(), month(2025, 12));
        assert_eq!(
            month(2026, 2).last(3),
            vec![month(2026, 2), month(2026, 1), month(2025, 12)]
        );
        assert_eq!(
            Month::starting(NaiveDate::from_ymd_opt(2026, 2, 2).unwrap()),
            None
        );
    }

    #[test]
    fn only_what_is_sent_beyond_the_limit_costs() {
        let price = OveragePrice {
            cents_per_thousand: 200,
        };
        let limit = MonthlyLimit::new(1000).ok();
        let within = MonthlyUsage::compute(month(2026, 1), 1000, limit, price);
        assert_eq!((within.overage, within.spend), (0, 0));
        let beyond = MonthlyUsage::compute(month(2026, 1), 1001, limit, price);
        assert_eq!(
            (beyond.overage, beyond.spend),
            (1, 1),
            "a started cent counts"
        );
        let unlimited = MonthlyUsage::compute(month(2026, 1), 10_000_000, None, price);
        assert_eq!((unlimited.overage, unlimited.spend), (0, 0));
        let nothing_allowed =
            MonthlyUsage::compute(month(2026, 1), 5000, MonthlyLimit::new(0).ok(), price);
        assert_eq!(
            (nothing_allowed.overage, nothing_allowed.spend),
            (5000, 1000)
        );
    }

    #[test]
    fn a_rollup_adds_overages_without_pooling_allowances() {
        let price = OveragePrice {
            cents_per_thousand: 1000,
        };
        let m = month(2026, 1);
        let over = MonthlyUsage::compute(m, 150, MonthlyLimit::new(100).ok(), price);
        let under = MonthlyUsage::compute(m, 10, MonthlyLimit::new(100).ok(), price);
        let r = Rollup::of([&over, &under]);
        assert_eq!(
            r,
            Rollup {
                usage: 160,
                overage: 50,
                spend: 50
            }
        );
    }

    #[test]
    fn each_threshold_is_reached_once_per_month() {
        let limit = MonthlyLimit::new(1000).ok();
        assert_eq!(newly_reached(None, 799, limit), vec![]);
        assert_eq!(newly_reached(None, 800, limit), vec![Threshold::Warning]);
        assert_eq!(
            newly_reached(Some(Threshold::Warning), 1000, limit),
            vec![Threshold::Reached]
        );
        assert_eq!(newly_reached(Some(Threshold::Reached), 5000, limit), vec![]);
        assert_eq!(newly_reached(None, 5000, None), vec![]);
        // A zero allowance is reached by nothing sent at all.
        assert_eq!(
            newly_reached(None, 0, MonthlyLimit::new(0).ok()),
            Threshold::ALL.to_vec()
        );
    }

    #[test]
    fn increments_in_turn_reach_what_each_would_reach_applied_alone() {
        // Given a limit of 100, 50 used and nothing recorded
        let limit = MonthlyLimit::new(100).ok();
        let increments = [10, 25, 0, 40, 30];
        // when the increments are applied together
        let together = reached_in_turn(None, 50, &increments, limit);
        // then each is credited with what it reaches applied alone, after the ones before
        let (mut usage, mut recorded, mut alone) = (50, None, Vec::new());
        for (i, n) in increments.iter().enumerate() {
            usage += n;
            let reached = newly_reached(recorded, usage, limit);
            if let Some(last) = reached.last() {
                recorded = Some(*last);
                alone.push((i, usage, reached));
            }
        }
        assert_eq!(together, alone);
        assert_eq!(
            together,
            vec![
                (1, 85, vec![Threshold::Warning]),
                (3, 125, vec![Threshold::Reached])
            ]
        );
        // and nothing is reached twice, nor without a limit.
        assert_eq!(
            reached_in_turn(Some(Threshold::Reached), 150, &[5], limit),
            vec![]
        );
        assert_eq!(reached_in_turn(None, 50, &increments, None), vec![]);
    }

    #[test]
    fn an_increment_of_nothing_is_never_credited_with_a_threshold() {
        // Given a month already past its (lowered) limit, no threshold recorded yet
        let limit = MonthlyLimit::new(100).ok();
        // when a batch that sent nothing there comes first, then one that sent 1
        let reached = reached_in_turn(None, 150, &[0, 1], limit);
        // then the second is credited with both thresholds, the first with none
        assert_eq!(
            reached,
            vec![(1, 151, vec![Threshold::Warning, Threshold::Reached])]
        );
        // and with a limit of 0, a batch of nothing reaches nothing.
        let zero = MonthlyLimit::new(0).ok();
        assert_eq!(reached_in_turn(None, 0, &[0, 0], zero), vec![]);
    }
}
