//! Failed sign-ins per address and per email, so that guessing is slow, failed sign-ins
//! cannot flood the audit log, and nobody can lock another's account at will. Only
//! failures count (a team signing in often is not slowed down); once a key has failed
//! too often in its minute, every attempt under it is refused until the minute ends.
//!
//! A fixed window per key, by hand: a rate-limiting crate charges every attempt, and
//! charging only failures needs a look without a charge.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins a minute from one address, and for one email.
pub const PER_ADDRESS: u32 = 20;
pub const PER_ACCOUNT: u32 = 10;
const WINDOW: Duration = Duration::from_secs(60);
/// Keys kept before windows that ended are dropped.
const KEEP: usize = 10_000;

#[derive(Debug, Default)]
pub struct SignInThrottle {
    by_address: Mutex<HashMap<IpAddr, Window>>,
    by_account: Mutex<HashMap<String, Window>>,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    failures: u32,
}

impl SignInThrottle {
    /// Whether an attempt from `address` for `email` may be checked now.
    pub fn allow(&self, address: IpAddr, email: &str, now: Instant) -> bool {
        under(&self.by_address, &address, PER_ADDRESS, now)
            && under(&self.by_account, &email.to_owned(), PER_ACCOUNT, now)
    }

    /// Counts a failed attempt against both.
    pub fn failed(&self, address: IpAddr, email: &str, now: Instant) {
        count(&self.by_address, address, now);
        count(&self.by_account, email.to_owned(), now);
    }

    /// Whether an attempt with no email (an invitation link) may be checked now: the
    /// address's failures count, sign-ins' and invitations' alike.
    pub fn allow_address(&self, address: IpAddr, now: Instant) -> bool {
        under(&self.by_address, &address, PER_ADDRESS, now)
    }

    /// Counts a failed attempt against the address alone (an unknown invitation).
    pub fn failed_address(&self, address: IpAddr, now: Instant) {
        count(&self.by_address, address, now);
    }
}

fn under<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, Window>>,
    key: &K,
    limit: u32,
    now: Instant,
) -> bool {
    // A poisoned lock holds plain counters: still usable.
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.get(key)
        .is_none_or(|w| now.duration_since(w.started) >= WINDOW || w.failures < limit)
}

fn count<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Window>>, key: K, now: Instant) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() > KEEP {
        map.retain(|_, w| now.duration_since(w.started) < WINDOW);
    }
    let w = map.entry(key).or_insert(Window {
        started: now,
        failures: 0,
    });
    if now.duration_since(w.started) >= WINDOW {
        *w = Window {
            started: now,
            failures: 0,
        };
    }
    w.failures += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_close_an_address_and_an_account_for_their_minute() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        let a: IpAddr = [203, 0, 113, 7].into();
        for i in 0..PER_ADDRESS {
            assert!(t.allow(a, &format!("u{i}@x.test"), now));
            t.failed(a, &format!("u{i}@x.test"), now);
        }
        assert!(!t.allow(a, "fresh@x.test", now), "the address is closed");
        assert!(
            t.allow(a, "fresh@x.test", now + WINDOW),
            "until its minute ends"
        );
        for i in 0..PER_ACCOUNT {
            let b: IpAddr = [198, 51, 100, i as u8].into();
            assert!(t.allow(b, "victim@x.test", now));
            t.failed(b, "victim@x.test", now);
        }
        assert!(!t.allow([192, 0, 2, 1].into(), "victim@x.test", now));
        // Successes are not counted: only `failed` closes a key.
        for _ in 0..100 {
            assert!(t.allow([192, 0, 2, 2].into(), "busy@x.test", now));
        }
        // Unknown invitation links count against the address, as failed sign-ins do.
        let c: IpAddr = [192, 0, 2, 3].into();
        for _ in 0..PER_ADDRESS {
            assert!(t.allow_address(c, now));
            t.failed_address(c, now);
        }
        assert!(!t.allow_address(c, now));
        assert!(
            !t.allow(c, "anyone@x.test", now),
            "and close its sign-ins too"
        );
    }
}
