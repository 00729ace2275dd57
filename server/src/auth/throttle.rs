//! Sign-in attempts per address and per account, so that guessing is slow, failed
//! sign-ins cannot flood the audit log, and nobody can lock another's account at will.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Attempts a minute from one address, and for one email.
const PER_ADDRESS: u32 = 20;
const PER_ACCOUNT: u32 = 10;
/// Distinct keys kept before idle ones are dropped.
const KEEP: usize = 10_000;

pub struct SignInThrottle {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        let per_minute = |n| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        SignInThrottle {
            by_address: RateLimiter::keyed(per_minute(PER_ADDRESS)),
            by_account: RateLimiter::keyed(per_minute(PER_ACCOUNT)),
        }
    }
}

impl std::fmt::Debug for SignInThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInThrottle")
    }
}

impl SignInThrottle {
    /// Whether one more attempt from `address` for `email` may be checked now.
    pub fn allow(&self, address: IpAddr, email: &str) -> bool {
        for limiter_len in [self.by_address.len(), self.by_account.len()] {
            if limiter_len > KEEP {
                self.by_address.retain_recent();
                self.by_account.retain_recent();
                break;
            }
        }
        // Both are charged, so a refused address cannot keep probing an account.
        let address_ok = self.by_address.check_key(&address).is_ok();
        let account_ok = self.by_account.check_key(&email.to_owned()).is_ok();
        address_ok && account_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_an_address_and_an_account() {
        let t = SignInThrottle::default();
        let a: IpAddr = [203, 0, 113, 7].into();
        let allowed = (0..50)
            .filter(|i| t.allow(a, &format!("u{i}@x.test")))
            .count();
        assert_eq!(allowed, PER_ADDRESS as usize);
        let allowed = (0..50u8)
            .filter(|i| t.allow([198, 51, 100, *i].into(), "victim@x.test"))
            .count();
        assert_eq!(allowed, PER_ACCOUNT as usize);
    }
}
