//! First run: `vigil init` makes the first tenant and its first tenant admin on an
//! empty database (and refuses any other), audited in the new tenant's chain. After
//! it, the operator API (`/api/v1/admin/`) or the console provisions the rest. Also
//! the command line's operator tokens and tenant settings.

use crate::auth::password;
use crate::cli::OperatorTokenCommand;
use app::model::{DisplayName, Email, Role, TenantId};
use app::store::audit::{Change, Who};
use app::store::{Grant, NewMember, Page, Store, TenantChange};

/// What `vigil init` is asked to make.
pub struct InitRequest {
    pub tenant_id: String,
    pub tenant_name: String,
    pub email: String,
    pub password: String,
}

/// What it made.
#[derive(Debug)]
pub struct InitReport {
    pub tenant_id: String,
    pub user_id: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A flag's value that cannot be used, and why.
    #[error("--{flag}: {message}")]
    Invalid { flag: &'static str, message: String },
    /// The database is not empty: what it holds.
    #[error(
        "the database is not empty: it holds {0}. `vigil init` only sets up a new database; \
         provision more with the operator API (README, \"Getting started\")"
    )]
    NotEmpty(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

fn invalid(flag: &'static str) -> impl Fn(app::model::Refused) -> InitError {
    move |e| InitError::Invalid { flag, message: e.0 }
}

/// Makes the first tenant and its first tenant admin, each audited ("Tenant created",
/// "User created") by `vigil-cli` in the new tenant.
pub async fn init(store: &Store, request: &InitRequest) -> Result<InitReport, InitError> {
    let tenant_id = TenantId::parse(&request.tenant_id).map_err(invalid("tenant-id"))?;
    let name = DisplayName::parse(&request.tenant_name).map_err(invalid("tenant-name"))?;
    let email = Email::parse(&request.email).map_err(invalid("email"))?;
    password::check_new(&request.password).map_err(invalid("password"))?;
    if let Some(held) = what_it_holds(store).await? {
        return Err(InitError::NotEmpty(held));
    }
    let now = chrono::Utc::now().timestamp_millis();
    let tenant = store
        .add_tenant(&tenant_id, &name, false, now)
        .await
        .map_err(anyhow::Error::from)?;
    let who = Who::cli();
    store
        .audit(&tenant.id, None, &who, Change::tenant_created(&tenant))
        .await
        .map_err(anyhow::Error::from)?;
    let given = request.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&given))
        .await
        .map_err(anyhow::Error::from)??;
    let grant = Grant {
        role: Role::TenantAdmin,
        account_id: None,
    };
    let user = store
        .add_user(
            NewMember {
                tenant_id: &tenant_id,
                email: &email,
                password_hash: &hash,
                grant: &grant,
            },
            now,
        )
        .await
        .map_err(anyhow::Error::from)?;
    store
        .audit(
            &tenant.id,
            None,
            &who,
            Change::user_created(&user.id, &user.email, &grant),
        )
        .await
        .map_err(anyhow::Error::from)?;
    Ok(InitReport {
        tenant_id: tenant.id,
        user_id: user.id,
        email: user.email,
    })
}

/// What a database holds, in words, or `None` if it has no tenant (and so nothing).
pub async fn what_it_holds(store: &Store) -> anyhow::Result<Option<String>> {
    let page = Page {
        after: None,
        limit: 5,
    };
    let tenants = store.tenants(&page).await?;
    if tenants.rows.is_empty() {
        return Ok(None);
    }
    let ids: Vec<&str> = tenants.rows.iter().map(|t| t.id.as_str()).collect();
    Ok(Some(match (ids.as_slice(), tenants.next_after.is_some()) {
        ([one], false) => format!("the tenant {one}"),
        (_, false) => format!("the tenants {}", ids.join(", ")),
        (_, true) => format!("the tenants {}, …", ids.join(", ")),
    }))
}

/// The first-run hint `vigil serve` logs and the sign-in page shows on an empty database.
pub const HOW_TO_START: &str = "VIGIL_INIT_PASSWORD=… vigil init --tenant-id acme \
     --tenant-name \"Acme\" --email admin@acme.example";

/// The new admin's password: `VIGIL_INIT_PASSWORD`, else asked twice on the terminal
/// (not echoed), else one line of standard input (a pipe, a file).
pub fn init_password(email: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Read};
    if let Ok(p) = std::env::var("VIGIL_INIT_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        return Ok(first);
    }
    // One line, bounded: the longest password and its line end.
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(4 * password::MAX_CHARS as u64 + 2)
        .read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `vigil operator-token …`.
pub async fn operator_token(store: &Store, command: OperatorTokenCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    match command {
        OperatorTokenCommand::Create { name } => {
            let name = DisplayName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let token = store.create_operator_token(&name, now).await?;
            println!("{}", token.plaintext);
            eprintln!(
                "operator token {} (prefix {}) \"{name}\"; shown once, stored hashed. \
                 Use it as `Authorization: Bearer …` on /api/v1/admin/",
                token.id, token.prefix
            );
        }
        OperatorTokenCommand::List => {
            let tokens = store.operator_tokens().await?;
            if tokens.is_empty() {
                println!("no operator tokens");
            }
            for t in tokens {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", app::store::from_ms(at).to_rfc3339()),
                    None => "live".to_owned(),
                };
                println!(
                    "{}  vgo_{}_…  {:<24} created {}  {state}",
                    t.id,
                    t.prefix,
                    t.name,
                    app::store::from_ms(t.created_at).to_rfc3339()
                );
            }
        }
        OperatorTokenCommand::Revoke { id } => {
            anyhow::ensure!(
                store.revoke_operator_token(&id, now).await?,
                "no live operator token {id}"
            );
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// `vigil tenant set`: audited like the operator API's change, by `vigil-cli`.
pub async fn tenant_set(
    store: &Store,
    tenant: &str,
    name: Option<String>,
    auto_create_accounts: Option<bool>,
) -> anyhow::Result<()> {
    let change = TenantChange {
        name: name
            .map(|n| DisplayName::parse(&n).map_err(|e| anyhow::anyhow!("--name: {e}")))
            .transpose()?,
        auto_create_accounts,
    };
    let (before, after) = if change.name.is_none() && change.auto_create_accounts.is_none() {
        let found = store
            .tenant(tenant)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no tenant {tenant}"))?;
        (found.clone(), found)
    } else {
        store
            .change_tenant(tenant, &change)
            .await
            .map_err(|e| match e {
                app::store::ProvisionError::NoTenant => anyhow::anyhow!("no tenant {tenant}"),
                other => other.into(),
            })?
    };
    if before != after {
        store
            .audit(
                tenant,
                None,
                &Who::cli(),
                Change::tenant_changed(&before, &after),
            )
            .await?;
    }
    println!(
        "{}: name \"{}\", auto_create_accounts {}",
        after.id,
        after.name,
        if after.auto_create_accounts {
            "on"
        } else {
            "off"
        }
    );
    Ok(())
}
