//! The lifecycle that runs by itself: when pending items are approved and
//! approved items provisioned, and which of them are rejected or fail
//! instead. Plain data and seeded decisions; the store applies them.

use std::time::Duration;

use sailpoint_access_api::Timestamp;

use crate::rng::SplitMix64;

/// Moves items through their lifecycle without a test driving them.
///
/// A pending item is approved `approve_after` after it was created (or after
/// the knob was set, for items older than that; immediately when the tenant
/// configuration has `autoApprovalEnabled`), then provisioned, ending
/// REQUEST_COMPLETED, `provision_after` after its approval. A seeded share
/// `reject_ratio` of items is rejected instead of approved, and a share
/// `fail_ratio` of approved items ends PROVISIONING_FAILED instead of
/// provisioned. Whether an item is rejected or fails depends only on the
/// sandbox seed and the item's `accountActivityItemId`, so a run is
/// reproducible whatever order requests arrive in.
///
/// States are computed lazily from timestamps whenever the tenant is read
/// (any API request, or a handle method that reads statuses), and each
/// transition is stamped with the time it was due, not the time it was
/// noticed. Items a test approved by hand are provisioned on the same
/// schedule; cancelled, closed and other final items are left alone.
///
/// ```
/// use std::time::Duration;
///
/// use sailpoint_access_sandbox::AutoLifecycle;
///
/// let auto = AutoLifecycle::new(Duration::from_millis(50), Duration::from_millis(100))
///     .reject_ratio(0.1)
///     .fail_ratio(0.05);
/// assert_eq!(auto.approve_after, Duration::from_millis(50));
/// assert_eq!(AutoLifecycle::immediate().provision_after, Duration::ZERO);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AutoLifecycle {
    /// How long an item waits for its approval.
    pub approve_after: Duration,
    /// How long an approved item waits for provisioning.
    pub provision_after: Duration,
    /// Share of pending items rejected instead of approved, in `0.0..=1.0`.
    pub reject_ratio: f64,
    /// Share of approved items whose provisioning fails, in `0.0..=1.0`.
    pub fail_ratio: f64,
}

impl AutoLifecycle {
    /// Approves after `approve_after`, provisions `provision_after` later;
    /// nothing is rejected and nothing fails.
    pub fn new(approve_after: Duration, provision_after: Duration) -> Self {
        Self {
            approve_after,
            provision_after,
            reject_ratio: 0.0,
            fail_ratio: 0.0,
        }
    }

    /// Approves and provisions as soon as the tenant is next read.
    pub fn immediate() -> Self {
        Self::new(Duration::ZERO, Duration::ZERO)
    }

    setters! {
        /// The same schedule with a new approval delay.
        approve_after(delay: Duration) => approve_after = delay;
        /// The same schedule with a new provisioning delay.
        provision_after(delay: Duration) => provision_after = delay;
        /// Rejects this share of pending items instead of approving them.
        reject_ratio(ratio: f64) => reject_ratio = ratio;
        /// Fails provisioning of this share of approved items.
        fail_ratio(ratio: f64) => fail_ratio = ratio;
    }
}

/// Which stage decision a draw is for, so an item's reject and fail draws
/// are independent.
#[derive(Clone, Copy)]
pub(crate) enum Draw {
    Reject = 0x5EC7,
    Fail = 0xFA11,
}

/// Whether the item `activity_id` is in the `ratio` share for `draw`: a pure
/// function of the seed and the id.
pub(crate) fn selected(seed: u64, activity_id: &str, draw: Draw, ratio: f64) -> bool {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for b in activity_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01B3);
    }
    SplitMix64::new(seed ^ hash ^ (draw as u64).rotate_left(32)).chance(ratio)
}

/// `t` plus `d`, or `None` when that is past what a timestamp can hold (a
/// delay of `Duration::MAX` never comes due).
pub(crate) fn after(t: Timestamp, d: Duration) -> Option<Timestamp> {
    let d = chrono::Duration::from_std(d).ok()?;
    t.as_datetime().checked_add_signed(d).map(Timestamp::from)
}

/// `t` minus `d`, saturating at the earliest timestamp.
pub(crate) fn before(t: Timestamp, d: Duration) -> Timestamp {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.as_datetime().checked_sub_signed(d))
        .map_or(
            Timestamp::from(chrono::DateTime::<chrono::Utc>::MIN_UTC),
            Timestamp::from,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_on_seed_and_id_only() {
        let ids: Vec<String> = (0..2000).map(|i| format!("item-{i}")).collect();
        let picked = |seed| {
            ids.iter()
                .filter(|id| selected(seed, id, Draw::Reject, 0.25))
                .count()
        };
        let a = picked(1);
        assert_eq!(a, picked(1));
        assert!((400..600).contains(&a), "{a}");
        assert!(ids.iter().all(|id| !selected(1, id, Draw::Fail, 0.0)));
        assert!(ids.iter().all(|id| selected(1, id, Draw::Fail, 1.0)));
        // The two draws of one item are not the same draw.
        let same = ids
            .iter()
            .filter(|id| selected(1, id, Draw::Reject, 0.5) == selected(1, id, Draw::Fail, 0.5))
            .count();
        assert!((800..1200).contains(&same), "{same}");
    }

    #[test]
    fn time_arithmetic_saturates() {
        let t = Timestamp::now();
        assert!(after(t, Duration::MAX).is_none());
        assert_eq!(after(t, Duration::ZERO), Some(t));
        assert!(before(t, Duration::MAX) < t);
        assert!(before(t, Duration::from_secs(1)) < t);
    }
}
