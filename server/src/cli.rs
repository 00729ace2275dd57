//! The `vigil` command line.

use crate::ops::logging::LogFormat;
use app::merkle::note::{KeyKind, VerifierKey};
// A boolean variable reads as systemd's and shells' do: 1/0, true/false, yes/no, on/off.
use clap::builder::BoolishValueParser;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Vigil: the audit log for AI platforms"
)]
pub struct Cli {
    /// sqlite:PATH (embedded, the default) or postgres://USER@HOST:PORT/DB
    #[arg(
        long,
        global = true,
        env = "VIGIL_DATABASE_URL",
        default_value = "sqlite:vigil.db"
    )]
    pub database_url: String,
    /// Do not run the migrations at start (PostgreSQL, serving as a role that may only
    /// read and insert: the owner runs `vigil migrate`).
    #[arg(long, global = true, env = "VIGIL_NO_MIGRATE", value_parser = BoolishValueParser::new())]
    pub no_migrate: bool,
    /// The log's lines on standard error: `text`, or `json` (one object a line, with
    /// the request's id on every line logged while serving it).
    #[arg(
        long,
        global = true,
        env = "VIGIL_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A parsed command line, its subcommand always given.
#[derive(Debug)]
pub struct Invocation {
    pub database_url: String,
    pub no_migrate: bool,
    pub log_format: LogFormat,
    pub command: Command,
}

impl Cli {
    /// Parses the command line; a bare `vigil` is `vigil serve`, read by clap like any
    /// other, so serve's environment variables (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`,
    /// `VIGIL_SECURE_COOKIES`, …) apply to it too.
    pub fn parse_args<I, T>(args: I) -> Result<Invocation, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let mut cli = Cli::try_parse_from(&args)?;
        if cli.command.is_none() {
            cli = Cli::try_parse_from(args.into_iter().chain(["serve".into()]))?;
        }
        let command = cli.command.ok_or_else(|| {
            clap::Error::new(clap::error::ErrorKind::MissingSubcommand).with_cmd(&Cli::command())
        })?;
        Ok(Invocation {
            database_url: cli.database_url,
            no_migrate: cli.no_migrate,
            log_format: cli.log_format,
            command,
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the console and the HTTP API (the default).
    Serve(ServeArgs),
    /// Add deterministic demo data: tenants, accounts, users and records.
    Seed {
        #[arg(long, default_value_t = 2000)]
        events: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The instant the data ends at (RFC 3339); default: now.
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Set up an empty database: its first tenant and that tenant's first admin
    /// (audited in the tenant). The password comes from VIGIL_INIT_PASSWORD, else is
    /// asked on the terminal (not echoed), else read as one line from standard input.
    /// Refuses a database that holds any tenant.
    Init {
        #[arg(long)]
        tenant_id: String,
        #[arg(long)]
        tenant_name: String,
        /// The tenant admin's email: their sign-in.
        #[arg(long)]
        email: String,
    },
    /// Manage the operator tokens of the provisioning API (/api/v1/admin/).
    #[command(subcommand)]
    OperatorToken(OperatorTokenCommand),
    /// Change a tenant's settings (audited).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage ingest API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage console users.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill a fresh database and measure ingest, console queries, Live polls, usage
    /// and export (see BENCHMARKS.md).
    Bench {
        /// Records inserted straight through the store.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Records then ingested over HTTP.
        #[arg(long, default_value_t = 200_000)]
        http_events: usize,
        /// Timed repetitions per query.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Batches in flight at once, as a platform's workers would send them.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// The terms each tab's search case cycles through, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "gpt,job_1,cron,ana,chat")]
        search_terms: Vec<String>,
        /// Also write the report here as JSON.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
        /// Add nothing: measure the queries, polls, usage and export on a database an
        /// earlier bench filled (to compare builds without refilling).
        #[arg(long)]
        measure_only: bool,
    },
    /// Fuzz the ingest decoder and the console's query parser (see server/src/fuzz.rs);
    /// exits non-zero if any input broke a rule.
    Fuzz {
        #[arg(long, default_value_t = 1_000_000)]
        inputs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run the migrations (as the database's owner), and optionally grant a serving role
    /// what it needs and nothing more (PostgreSQL).
    Migrate {
        #[arg(long)]
        grant: Option<String>,
    },
    /// Watch a Vigil as an independent witness: fetch its tenant's checkpoint, check it
    /// is signed by the log's key and consistent with the last one cosigned, cosign it,
    /// keep it in DIR and send it back to the Vigil (README, "Witnessing"). Needs no
    /// database.
    Witness(WitnessArgs),
    /// Check an export bundle offline, with nothing but the log's public key (README,
    /// "Export bundles"); needs no database. Exit status 1 if it does not verify.
    VerifyBundle {
        file: std::path::PathBuf,
        /// The log's verifier key (`name+id+key`, from `GET /api/v1/public-key`,
        /// obtained out of band), or a file holding it.
        #[arg(long)]
        key: String,
        /// Also check the bundle extends this checkpoint, saved earlier (a signed note
        /// from `GET /api/v1/checkpoint`, a witness, an email).
        #[arg(long)]
        checkpoint: Option<std::path::PathBuf>,
    },
    /// Sign a checkpoint of every tree that grew since its last one (the server does so
    /// every minute) and print the key that verifies them.
    Checkpoint(SigningArgs),
    /// Show a tenant's retention policy, or set it: records older than the policy lose
    /// their bodies at the next purge, their leaves stay in the tree (README,
    /// "Retention"). Setting it is audited.
    Retention {
        #[arg(long)]
        tenant: String,
        /// Keep records this many days (1 to 36500).
        #[arg(long, conflicts_with = "forever")]
        days: Option<u32>,
        /// Keep records forever (the default policy).
        #[arg(long)]
        forever: bool,
    },
    /// Purge now what retention policies let go (the server does so every
    /// --purge-every hours): sign a checkpoint, archive, purge, audit.
    Purge {
        /// Only this tenant (default: every tenant with a policy).
        #[arg(long)]
        tenant: Option<String>,
        /// Write the purged records as range bundles to this folder first.
        #[arg(long, env = "VIGIL_ARCHIVE_DIR")]
        archive: Option<std::path::PathBuf>,
        #[command(flatten)]
        signing: SigningArgs,
    },
    /// Copy a live SQLite database, consistently, to a new file (never overwriting one);
    /// the server may go on appending meanwhile. PostgreSQL: use pg_dump -Fc (README,
    /// "Backups").
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Walk each tenant's hash chain and report the first record that does not match.
    Verify {
        #[arg(long)]
        tenant: Option<String>,
        /// Instead: check the database against a signed checkpoint saved earlier (a
        /// file holding the note, from `GET /api/v1/checkpoint`, a witness, an email).
        #[arg(long)]
        checkpoint: Option<std::path::PathBuf>,
        /// The verifier key the checkpoint must be signed with (`name+id+key`, from
        /// `GET /api/v1/public-key`); default: the public half of --signing-key.
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        signing: SigningArgs,
    },
}

/// `vigil witness`: what it watches and where it keeps what it saw.
#[derive(Args, Debug)]
pub struct WitnessArgs {
    /// The Vigil's base URL.
    #[arg(long, required_unless_present = "print_key")]
    pub url: Option<String>,
    /// An ingest key of the tenant to watch (it also sends the cosignatures back).
    #[arg(
        long,
        env = "VIGIL_WITNESS_API_KEY",
        hide_env_values = true,
        required_unless_present = "print_key"
    )]
    pub api_key: Option<String>,
    /// The log's verifier key (`GET /api/v1/public-key`, obtained out of band).
    #[arg(long, required_unless_present = "print_key")]
    pub log_key: Option<String>,
    /// Only print the witness's public key (made first if DIR has none), for the
    /// Vigil's operator to register with `--witness-key`, and exit.
    #[arg(long)]
    pub print_key: bool,
    /// Where the witness keeps its key and what it cosigned.
    #[arg(long)]
    pub dir: std::path::PathBuf,
    /// The witness's key name (used when its key is made).
    #[arg(long, default_value = "witness")]
    pub name: String,
    /// Check every this many seconds; 0: once.
    #[arg(long, default_value_t = 0)]
    pub every: u64,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Where cargo-leptos put the site (pkg/, CSS, WASM).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Mark the session cookie Secure (behind a TLS proxy that sends no X-Forwarded-Proto).
    #[arg(long, env = "VIGIL_SECURE_COOKIES", value_parser = BoolishValueParser::new())]
    pub secure_cookies: bool,
    /// Let control webhooks use plain http and reach loopback and private addresses
    /// (a control service on the same network; off: only public https).
    #[arg(long, env = "VIGIL_WEBHOOK_ALLOW_PRIVATE", value_parser = BoolishValueParser::new())]
    pub webhook_allow_private: bool,
    /// A witness's public key (`name+id+base64`, as `vigil witness` prints it): its
    /// cosignatures sent back are kept. Repeatable; the environment variable takes a
    /// comma-separated list. An empty entry is none (an empty variable: no witnesses).
    #[arg(
        long = "witness-key",
        env = "VIGIL_WITNESS_KEYS",
        value_delimiter = ',',
        value_parser = witness_key
    )]
    pub witness_keys: Vec<Option<VerifierKey>>,
    /// Verify every tenant's chain and tree every this many hours (the first run a few
    /// minutes after start) and record the result; 0: never.
    #[arg(long, env = "VIGIL_VERIFY_EVERY", default_value_t = 24)]
    pub verify_every: u32,
    /// Purge what retention policies let go every this many hours (the first run at
    /// start); 0: never (then run `vigil purge` yourself, e.g. as the database's owner).
    #[arg(long, env = "VIGIL_PURGE_EVERY", default_value_t = 1)]
    pub purge_every: u32,
    /// Before each purge, write the purged records as range bundles to this folder
    /// (`vigil verify-bundle` checks them); default: no archive.
    #[arg(long, env = "VIGIL_ARCHIVE_DIR")]
    pub archive: Option<std::path::PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics, on a listener of its own (keep it
    /// on loopback or a private network: it needs no credentials); default: off.
    #[arg(long, env = "VIGIL_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    #[command(flatten)]
    pub signing: SigningArgs,
}

/// A registered witness's key: a cosignature/v1 verifier key; `None` for an empty entry.
fn witness_key(text: &str) -> Result<Option<VerifierKey>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let key = VerifierKey::parse(text).map_err(|e| e.to_string())?;
    if key.kind() != KeyKind::Cosignature {
        return Err(format!(
            "{} is a {} key; a witness cosigns with a cosignature/v1 key, as `vigil witness` prints it",
            key.name(),
            key.kind()
        ));
    }
    Ok(Some(key))
}

/// The key that signs the trees' checkpoints, and the name it signs as.
#[derive(Args, Debug, Clone)]
pub struct SigningArgs {
    /// The checkpoint signing key: a C2SP note key file (Ed25519), made on first start
    /// and readable by its owner only. Keep it apart from the database (README, "Trust").
    #[arg(long, env = "VIGIL_SIGNING_KEY", default_value = "vigil-signing.key")]
    pub signing_key: std::path::PathBuf,
    /// This deployment's name: the key's, and the first part of each tenant's checkpoint
    /// origin (`NAME/TENANT`).
    #[arg(long, env = "VIGIL_ORIGIN", default_value = "vigil")]
    pub origin: String,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        tenant: String,
        /// Bind the key to one account of the tenant.
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value = "ingest")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperatorTokenCommand {
    /// Create a token; it is printed once and stored only as a SHA-256 digest.
    Create {
        /// Its name, in every record it writes (`operator:<name>`).
        #[arg(long, default_value = "operator")]
        name: String,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token (by id or prefix): its next request is refused.
    Revoke { id: String },
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Rename a tenant, or set whether ingest creates the accounts it names on first
    /// sight (at most 1,000 per tenant); prints the tenant's settings.
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: Option<String>,
        /// on or off (true/false, yes/no).
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        auto_create_accounts: Option<bool>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a console user (first-run bootstrap). The password is read from VIGIL_PASSWORD.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        account: Option<String>,
        /// tenant_admin or account_admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long, env = "VIGIL_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_vigil_serves_with_its_environment() {
        // Only this test reads VIGIL_SECURE_COOKIES.
        std::env::set_var("VIGIL_SECURE_COOKIES", "1");
        let cli = Cli::parse_args(["vigil", "--database-url", "sqlite:x.db"]).expect("parses");
        std::env::remove_var("VIGIL_SECURE_COOKIES");
        assert_eq!(cli.database_url, "sqlite:x.db");
        let Command::Serve(args) = cli.command else {
            panic!("serve is the default");
        };
        assert!(args.secure_cookies, "read from the environment");
        assert_eq!(args.site_root, "target/site");
        // The database URL still goes before any subcommand.
        let cli = Cli::parse_args([
            "vigil",
            "--database-url",
            "sqlite:y.db",
            "bench",
            "--runs",
            "3",
        ])
        .expect("parses");
        assert!(matches!(cli.command, Command::Bench { runs: 3, .. }));
        let cli = Cli::parse_args(["vigil", "serve", "--addr", "127.0.0.1:4001"]).expect("parses");
        let Command::Serve(args) = cli.command else {
            panic!("serve");
        };
        assert_eq!(args.addr.port(), 4001);
        assert_eq!(args.purge_every, 1, "purged hourly by default");
    }

    #[test]
    fn retention_takes_days_or_forever_not_both() {
        let cli = Cli::parse_args(["vigil", "retention", "--tenant", "t", "--days", "30"])
            .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Retention {
                days: Some(30),
                forever: false,
                ..
            }
        ));
        let err = Cli::parse_args([
            "vigil",
            "retention",
            "--tenant",
            "t",
            "--days",
            "30",
            "--forever",
        ])
        .expect_err("both");
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
        let cli = Cli::parse_args(["vigil", "purge"]).expect("parses");
        assert!(matches!(cli.command, Command::Purge { tenant: None, .. }));
    }

    #[test]
    fn witness_keys_are_cosignature_keys_from_flags_or_the_environment() {
        use app::merkle::note::{Cosigner, NoteSigner};
        let a = Cosigner::generate("a.example")
            .expect("key")
            .verifier_key()
            .to_string();
        let b = Cosigner::generate("b.example")
            .expect("key")
            .verifier_key()
            .to_string();
        let serve = |args: &[&str]| {
            let args = ["vigil", "serve"].iter().chain(args).copied();
            match Cli::parse_args(args).map(|c| c.command) {
                Ok(Command::Serve(args)) => Ok(args),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e),
            }
        };
        let args = serve(&["--witness-key", &a, "--witness-key", &b]).expect("parses");
        let names: Vec<&str> = args
            .witness_keys
            .iter()
            .flatten()
            .map(|k| k.name())
            .collect();
        assert_eq!(names, ["a.example", "b.example"]);
        assert_eq!(args.verify_every, 24, "daily by default");
        assert!(serve(&["--witness-key", "nonsense"]).is_err());
        // The log's own kind of key cannot cosign.
        let log = NoteSigner::generate("vigil")
            .expect("key")
            .verifier_key()
            .to_string();
        let err = serve(&["--witness-key", &log]).expect_err("refused");
        assert!(err.to_string().contains("cosignature/v1"), "{err}");
        // Only this test reads VIGIL_WITNESS_KEYS.
        std::env::set_var("VIGIL_WITNESS_KEYS", format!("{a},{b},"));
        let args = serve(&["--verify-every", "0"]);
        std::env::set_var("VIGIL_WITNESS_KEYS", "");
        let empty = serve(&[]);
        std::env::remove_var("VIGIL_WITNESS_KEYS");
        let args = args.expect("parses");
        assert_eq!(args.witness_keys.iter().flatten().count(), 2);
        assert_eq!(args.verify_every, 0);
        let empty = empty.expect("an empty variable is no witnesses");
        assert_eq!(empty.witness_keys.iter().flatten().count(), 0);
    }

    #[test]
    fn provisioning_commands_parse() {
        let cli = Cli::parse_args([
            "vigil",
            "init",
            "--tenant-id",
            "acme",
            "--tenant-name",
            "Acme",
            "--email",
            "a@acme.example",
        ])
        .expect("parses");
        assert!(matches!(cli.command, Command::Init { .. }));
        let cli = Cli::parse_args(["vigil", "operator-token", "create", "--name", "ops"])
            .expect("parses");
        assert!(matches!(
            cli.command,
            Command::OperatorToken(OperatorTokenCommand::Create { .. })
        ));
        let cli = Cli::parse_args([
            "vigil",
            "tenant",
            "set",
            "--tenant",
            "acme",
            "--auto-create-accounts",
            "on",
        ])
        .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Tenant(TenantCommand::Set {
                auto_create_accounts: Some(true),
                ..
            })
        ));
    }

    #[test]
    fn operations_flags_parse() {
        let cli = Cli::parse_args([
            "vigil",
            "--log-format",
            "json",
            "serve",
            "--metrics-addr",
            "127.0.0.1:9100",
        ])
        .expect("parses");
        assert_eq!(cli.log_format, LogFormat::Json);
        let Command::Serve(args) = cli.command else {
            panic!("serve");
        };
        assert_eq!(args.metrics_addr, Some(([127, 0, 0, 1], 9100).into()));
        let cli = Cli::parse_args(["vigil", "backup", "--to", "copy.db", "--log-format", "text"]);
        assert!(matches!(
            cli.map(|c| (c.log_format, c.command)),
            Ok((LogFormat::Text, Command::Backup { to })) if to == std::path::Path::new("copy.db")
        ));
        assert!(
            Cli::parse_args(["vigil", "backup"]).is_err(),
            "--to is required"
        );
        assert!(Cli::parse_args(["vigil", "--log-format", "xml", "serve"]).is_err());
    }

    #[test]
    fn a_witness_may_only_print_its_key() {
        let cli = Cli::parse_args(["vigil", "witness", "--dir", "w", "--print-key"]);
        assert!(matches!(
            cli.map(|c| c.command),
            Ok(Command::Witness(WitnessArgs {
                print_key: true,
                ..
            }))
        ));
        assert!(Cli::parse_args(["vigil", "witness", "--dir", "w"]).is_err());
    }
}
