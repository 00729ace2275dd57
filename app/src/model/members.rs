//! Who may sign in to a tenant's console, as the Members page and its forms take it:
//! parsed once at the edge, so the store sees only valid values.

use super::{Email, Role};

/// What is wrong with a form's field: its name and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field,
            message: message.into(),
        }
    }
}

/// An email address as a form's `email` field: the operator API's rule (`Email`).
pub fn email(text: &str) -> Result<Email, FieldProblem> {
    Email::parse(text).map_err(|r| FieldProblem::new("email", r.0))
}

/// A role in a tenant: a tenant admin (every account) or an account admin of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    /// `None` exactly for tenant admins.
    pub account_id: Option<String>,
}

impl Grant {
    /// From a form's `role` and `account` fields (`account` blank for a tenant admin).
    pub fn parse(role: &str, account: &str) -> Result<Grant, FieldProblem> {
        let role = Role::parse(role.trim())
            .ok_or_else(|| FieldProblem::new("role", "tenant_admin or account_admin"))?;
        let account = account.trim();
        if account.len() > 512 {
            return Err(FieldProblem::new("account", "longer than 512 bytes"));
        }
        match (role, account.is_empty()) {
            (Role::TenantAdmin, true) => Ok(Grant::tenant_admin()),
            (Role::TenantAdmin, false) => Err(FieldProblem::new(
                "account",
                "a tenant admin has every account: leave it empty",
            )),
            (Role::AccountAdmin, true) => Err(FieldProblem::new(
                "account",
                "required: the account this admin may see",
            )),
            (Role::AccountAdmin, false) => Ok(Grant {
                role,
                account_id: Some(account.to_owned()),
            }),
        }
    }

    pub fn tenant_admin() -> Grant {
        Grant {
            role: Role::TenantAdmin,
            account_id: None,
        }
    }

    /// As the audit records it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"role": self.role.as_str(), "account_id": self.account_id})
    }

    /// As a person reads it: "tenant admin", "account admin of acme-prod".
    pub fn describe(&self) -> String {
        match &self.account_id {
            None => "tenant admin".to_owned(),
            Some(a) => format!("account admin of {a}"),
        }
    }
}

/// A password chosen on the invitation page: the command line's rule (at least 10
/// characters), and a bound so hashing cannot be made slow.
pub fn check_password(password: &str, again: &str) -> Result<(), FieldProblem> {
    let n = password.chars().count();
    if n < 10 {
        return Err(FieldProblem::new("password", "at least 10 characters"));
    }
    if password.len() > 1024 {
        return Err(FieldProblem::new("password", "at most 1024 bytes"));
    }
    if password != again {
        return Err(FieldProblem::new(
            "password_again",
            "the two passwords differ",
        ));
    }
    Ok(())
}

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationState {
    pub fn of(accepted: bool, revoked: bool, expired: bool) -> InvitationState {
        match (accepted, revoked, expired) {
            (true, _, _) => InvitationState::Accepted,
            (_, true, _) => InvitationState::Revoked,
            (_, _, true) => InvitationState::Expired,
            _ => InvitationState::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Revoked => "revoked",
            InvitationState::Expired => "expired",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercase_and_checked() {
        assert_eq!(
            email("  Zoe@Acme.TEST ").map(|e| e.as_str().to_owned()),
            Ok("zoe@acme.test".to_owned())
        );
        for bad in [
            "",
            "zoe",
            "@acme.test",
            "zoe@",
            "zo e@acme.test",
            "a@b@c",
            "zoe@.acme",
            "z\u{0}@a.b",
        ] {
            assert_eq!(email(bad).err().map(|p| p.field), Some("email"), "{bad}");
        }
        assert!(email(&format!("{}@a.bc", "x".repeat(260))).is_err());
    }

    #[test]
    fn a_grant_needs_an_account_exactly_for_account_admins() {
        assert_eq!(Grant::parse("tenant_admin", ""), Ok(Grant::tenant_admin()));
        assert_eq!(
            Grant::parse("account_admin", "a1").map(|g| g.account_id),
            Ok(Some("a1".to_owned()))
        );
        assert_eq!(
            Grant::parse("account_admin", " ")
                .expect_err("invalid")
                .field,
            "account"
        );
        assert_eq!(
            Grant::parse("tenant_admin", "a1")
                .expect_err("invalid")
                .field,
            "account"
        );
        assert_eq!(
            Grant::parse("owner", "").expect_err("invalid").field,
            "role"
        );
    }

    #[test]
    fn passwords_are_long_enough_and_typed_twice() {
        assert!(check_password("long enough!", "long enough!").is_ok());
        assert_eq!(
            check_password("short", "short").expect_err("invalid").field,
            "password"
        );
        assert_eq!(
            check_password("long enough!", "long enough?")
                .expect_err("invalid")
                .field,
            "password_again"
        );
        let huge = "x".repeat(1025);
        assert_eq!(
            check_password(&huge, &huge).expect_err("invalid").field,
            "password"
        );
    }
}
