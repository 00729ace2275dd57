//! `vigil`: start-up only; the work is in the library.

use anyhow::Context;
use app::model::{RetentionDays, Role, VerifyBy};
use app::store::audit::{Change, Who};
use app::store::{Migrations, NewUser, Store};
use vigil::{
    auth,
    cli::{Cli, Command, KeyCommand, TenantCommand, UserCommand, WitnessArgs},
    onboard,
    ops::progress::Progress,
    retention, seed, signing,
    witness::Round,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    vigil::ops::logging::init(cli.log_format);
    let (database_url, command) = (cli.database_url, cli.command);
    let migrations = if cli.no_migrate {
        Migrations::Skip
    } else {
        Migrations::Run
    };
    // These need no database: none is opened (or made) for them. `serve` opens its own
    // once it listens.
    let command = match command {
        Command::Serve(args) => {
            return vigil::startup::serve(args, &database_url, migrations).await;
        }
        Command::Fuzz { inputs, seed } => return fuzz(inputs, seed),
        Command::Witness(args) => return witness(args).await,
        Command::VerifyBundle {
            file,
            key,
            checkpoint,
        } => return verify_bundle(&file, &key, checkpoint.as_deref()),
        other => other,
    };
    if let Command::Backup { .. } = &command {
        vigil::ops::backup::check_source(&database_url)?;
    }
    let store = Store::open(&database_url, migrations)
        .await
        .with_context(|| format!("opening {database_url}"))?;
    let result = run(command, &store, &database_url).await;
    store.close().await;
    result
}

/// `vigil verify-bundle`: needs no database. Prints what the bundle proves, or what
/// failed (exit status 1).
fn verify_bundle(
    file: &std::path::Path,
    key: &str,
    earlier: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    // `--key` is the key itself or a file holding it.
    let key = std::fs::read_to_string(key).unwrap_or_else(|_| key.to_owned());
    let key = app::merkle::note::VerifierKey::parse(key.trim())
        .map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    let earlier = earlier
        .map(|f| std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display())))
        .transpose()?;
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let input = std::io::BufReader::with_capacity(1 << 20, input);
    match vigil::bundle::verify::verify(input, &key, earlier.as_deref()) {
        Ok(report) => {
            println!("{}: {report}", file.display());
            Ok(())
        }
        Err(e) => {
            eprintln!("{}: FAILED: {e}", file.display());
            std::process::exit(1);
        }
    }
}

/// `vigil fuzz`: needs no database.
fn fuzz(inputs: u64, seed: u64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = vigil::fuzz::run(inputs, seed);
    let elapsed = started.elapsed();
    println!(
        "{} inputs (seed {seed}) in {:.1} s: {} accepted, {} refused; {} panics, {} refusals \
         without a field, {} accepted records unreadable, {} console queries drifted",
        report.inputs,
        elapsed.as_secs_f64(),
        report.accepted,
        report.refused,
        report.panics,
        report.unnamed,
        report.unreadable,
        report.drifted
    );
    let mut fields: Vec<_> = report.refused_by_field.iter().collect();
    fields.sort_by(|a, b| b.1.cmp(a.1));
    let top: Vec<String> = fields
        .iter()
        .take(12)
        .map(|(f, n)| format!("{f} {n}"))
        .collect();
    println!("refusals by field: {}", top.join(", "));
    for f in &report.failures {
        println!("FAILURE {f}");
    }
    anyhow::ensure!(report.clean(), "the fuzz broke a rule");
    Ok(())
}

/// `vigil witness`: needs no database.
async fn witness(args: WitnessArgs) -> anyhow::Result<()> {
    if args.print_key {
        println!("{}", vigil::witness::public_key(&args.dir, &args.name)?);
        return Ok(());
    }
    // clap requires the three unless --print-key.
    let required = |v: Option<String>, flag: &str| v.with_context(|| format!("{flag} is required"));
    let log_key = required(args.log_key, "--log-key")?;
    let witness = vigil::witness::Witness {
        url: required(args.url, "--url")?,
        api_key: required(args.api_key, "--api-key")?,
        log_key: app::merkle::note::VerifierKey::parse(log_key.trim())
            .map_err(|e| anyhow::anyhow!("--log-key: {e}"))?,
        dir: args.dir,
        name: args.name,
    };
    println!(
        "witness key: {} (register it with the Vigil's --witness-key)",
        witness.public_key()?
    );
    let client = reqwest::Client::new();
    loop {
        match witness.round(&client).await {
            Ok(Round::Cosigned { size, sent }) => println!("cosigned size {size}; {sent}"),
            Ok(Round::Unchanged { size, sent: None }) => println!("unchanged at {size}"),
            Ok(Round::Unchanged {
                size,
                sent: Some(sent),
            }) => println!("unchanged at {size}; cosignature {sent}"),
            // Once: the exit status says it. Watching: say it every round (a rewrite
            // never becomes consistent again) and keep watching.
            Err(e) if args.every == 0 => return Err(e),
            Err(e) => eprintln!("witness: {e:#}"),
        }
        if args.every == 0 {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(args.every)).await;
    }
}

async fn run(command: Command, store: &Store, database_url: &str) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    match command {
        Command::Init {
            tenant_id,
            tenant_name,
            email,
        } => {
            // Refused before a password is asked for.
            if let Some(held) = onboard::what_it_holds(store).await? {
                anyhow::bail!(onboard::InitError::NotEmpty(held));
            }
            let request = onboard::InitRequest {
                password: onboard::init_password(&email)?,
                tenant_id,
                tenant_name,
                email,
            };
            let made = onboard::init(store, &request).await?;
            println!(
                "created tenant {} and its tenant admin {} (user {}): sign in to the console",
                made.tenant_id, made.email, made.user_id
            );
            println!(
                "next: `vigil operator-token create --name ops` for the operator API, or \
                 `vigil key create --tenant {}` for an ingest key (README, \"Getting started\")",
                made.tenant_id
            );
        }
        Command::OperatorToken(command) => onboard::operator_token(store, command).await?,
        Command::Tenant(TenantCommand::Set {
            tenant,
            name,
            auto_create_accounts,
        }) => onboard::tenant_set(store, &tenant, name, auto_create_accounts).await?,
        Command::Seed {
            events,
            seed: s,
            now: at,
        } => {
            let report = seed::seed(store, events, s, at.unwrap_or(now)).await?;
            println!(
                "seeded {} records ({} already present)",
                report.stored, report.duplicates
            );
            println!("demo sign-ins (password for all: vigil-demo):");
            for (email, _, tenant, account, role) in seed::DEMO_USERS {
                println!(
                    "  {email:<28} {:<14} {tenant}{}",
                    role.as_str(),
                    account.map(|a| format!(" / {a}")).unwrap_or_default()
                );
            }
        }
        Command::Key(KeyCommand::Create {
            tenant,
            account,
            name,
        }) => {
            let key = store
                .create_api_key(&tenant, account.as_deref(), &name)
                .await?;
            let change = Change::api_key_created(&key, &name, account.as_deref());
            store
                .audit(&tenant, account.clone(), &Who::cli(), change)
                .await?;
            println!("{}", key.plaintext);
            eprintln!(
                "key {} (prefix {}) for tenant {tenant}; shown once, stored hashed",
                key.id, key.prefix
            );
        }
        Command::User(UserCommand::Create {
            tenant,
            account,
            role,
            email,
            password,
        }) => {
            let role = Role::parse(&role).context("role must be tenant_admin or account_admin")?;
            anyhow::ensure!(
                password.len() >= 10,
                "the password needs at least 10 characters"
            );
            anyhow::ensure!(store.tenant_exists(&tenant).await?, "no tenant {tenant}");
            if let Some(a) = &account {
                anyhow::ensure!(
                    store.account_tenant(a).await?.as_deref() == Some(tenant.as_str()),
                    "no account {a} in tenant {tenant}"
                );
            }
            let hash = auth::password::hash(&password)?;
            let id = format!("usr_{}", uuid::Uuid::now_v7().simple());
            let email = email.trim().to_lowercase();
            store
                .create_user(
                    NewUser {
                        id: &id,
                        tenant_id: &tenant,
                        email: &email,
                        password_hash: &hash,
                        role,
                        account_id: account.as_deref(),
                    },
                    now.timestamp_millis(),
                )
                .await?;
            let change = Change {
                action: "create",
                resource_type: "user",
                resource_id: Some(id.clone()),
                event_name: "User created",
                old_value: None,
                new_value: Some(
                    serde_json::json!({"email": email, "role": role.as_str(), "account_id": account}),
                ),
            };
            store
                .audit(&tenant, account.clone(), &Who::cli(), change)
                .await?;
            println!("created {email} ({}) in {tenant}", role.as_str());
        }
        Command::Bench {
            events,
            http_events,
            runs,
            clients,
            search_terms,
            json,
            measure_only,
        } => {
            let (events, http_events) = if measure_only {
                anyhow::ensure!(
                    !store.tenant_ids().await?.is_empty(),
                    "--measure-only needs a database an earlier bench filled"
                );
                (0, 0)
            } else {
                anyhow::ensure!(
                    store.tenant_ids().await?.is_empty(),
                    "bench needs an empty database"
                );
                (events, http_events)
            };
            anyhow::ensure!(
                !search_terms.is_empty() && search_terms.iter().all(|t| !t.trim().is_empty()),
                "--search-terms needs at least one term, and no empty ones"
            );
            let sizes = vigil::bench::Sizes {
                events,
                http_events,
                runs,
                clients,
            };
            let report = vigil::bench::run(store, database_url, sizes, &search_terms).await?;
            println!("{}", vigil::bench::table(&report));
            for (case, plan) in &report.plans {
                println!("plan, {case}:\n    {}", plan.join("\n    "));
            }
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
            }
        }
        // Run by `main` without opening a database here.
        Command::Serve(_)
        | Command::Fuzz { .. }
        | Command::VerifyBundle { .. }
        | Command::Witness(_) => {}
        Command::Backup { to } => {
            let done = vigil::ops::backup::backup(store, &to).await?;
            println!(
                "backed up to {} ({:.1} MB); restore by stopping Vigil and copying it back \
                 (the search file is rebuilt: README, \"Backups\")",
                to.display(),
                done.bytes as f64 / 1e6
            );
        }
        Command::Migrate { grant } => {
            println!("migrations applied");
            if let Some(role) = grant {
                store.grant_serving_role(&role).await?;
                println!("granted {role} what serving needs; run it with --no-migrate");
            }
        }
        Command::Checkpoint(args) => {
            let signer = signing::load_or_create(&args.signing_key, &args.origin)?;
            let signed = store.sign_checkpoints(&signer, &args.origin).await?;
            println!("signed {signed} checkpoints");
            println!("verifier key: {}", signer.verifier_key());
        }
        Command::Retention {
            tenant,
            days,
            forever,
        } => {
            anyhow::ensure!(store.tenant_exists(&tenant).await?, "no tenant {tenant}");
            if days.is_some() || forever {
                let days = days
                    .map(RetentionDays::parse)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--days: {e}"))?;
                let before = store.set_retention_days(&tenant, days).await?;
                if before != days {
                    store
                        .audit(
                            &tenant,
                            None,
                            &Who::cli(),
                            Change::retention_set(before, days),
                        )
                        .await?;
                }
            }
            let status = store.retention(&tenant).await?;
            let policy = status
                .days
                .map_or_else(|| "forever".to_owned(), |d| d.to_string());
            match (status.retained_from, status.last_purge) {
                (Some(from), Some(at)) => println!(
                    "{tenant}: records kept {policy}; kept from record {from} (last purge {at})"
                ),
                _ => println!("{tenant}: records kept {policy}; nothing purged yet"),
            }
        }
        Command::Purge {
            tenant,
            archive,
            signing: args,
        } => {
            let archive = archive.as_deref();
            let signer = signing::load_or_create(&args.signing_key, &args.origin)?;
            let (done, failed) = match tenant {
                Some(t) => {
                    anyhow::ensure!(store.tenant_exists(&t).await?, "no tenant {t}");
                    let purged =
                        retention::purge_tenant(store, &signer, &args.origin, &t, now, archive)
                            .await?;
                    (purged.into_iter().collect(), 0)
                }
                None => retention::purge_all(store, &signer, &args.origin, now, archive).await?,
            };
            for p in &done {
                println!(
                    "{}: purged records {}–{} ({} records, policy {} days), checkpoint at {}",
                    p.tenant_id,
                    p.range.first,
                    p.range.last,
                    p.count,
                    p.policy_days,
                    p.checkpoint.size
                );
            }
            if done.is_empty() {
                println!("nothing to purge");
            }
            anyhow::ensure!(
                failed == 0,
                "{failed} tenants could not be purged (see the log)"
            );
        }
        Command::Verify {
            checkpoint: Some(file),
            key,
            signing: args,
            ..
        } => {
            let key = match key {
                Some(k) => app::merkle::note::VerifierKey::parse(k.trim())
                    .map_err(|e| anyhow::anyhow!("--key: {e}"))?,
                None => signing::load(&args.signing_key, &args.origin)?
                    .verifier_key()
                    .clone(),
            };
            let note = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let verdict = store
                .check_checkpoint(&note, &key, &args.origin)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            match verdict.failure {
                None => println!(
                    "{}: OK, the {} records the checkpoint signed are unchanged",
                    verdict.tenant_id, verdict.size
                ),
                Some(f) => {
                    println!("{}: FAILED: {f}", verdict.tenant_id);
                    anyhow::bail!("the database does not match the checkpoint");
                }
            }
        }
        Command::Verify { tenant, .. } => {
            let tenants = match tenant {
                Some(t) => vec![t],
                None => store.tenant_ids().await?,
            };
            let mut failed = false;
            for t in tenants {
                // Recorded, failure or not: the console shows the newest run.
                let total = store.chain_position(&t).await?;
                let progress = Progress::new(format!("verify {t}"), total.max(0) as u64, "records");
                let (report, _) = store
                    .verify_and_record_with(&t, VerifyBy::Cli, &|n| progress.set(n))
                    .await?;
                progress.finish(report.records);
                match &report.failure {
                    None => {
                        let kept = report.retained_from.map_or_else(String::new, |from| {
                            format!(" (retained from record {from}; those before purged by retention, their leaves kept)")
                        });
                        println!(
                            "{t}: OK, {} records{kept}, head {}, tree root {}",
                            report.records, report.head_hash, report.tree_root
                        )
                    }
                    Some(f) => {
                        failed = true;
                        println!(
                            "{t}: FAILED at record {} ({}): {}",
                            f.seq,
                            f.id.as_deref().unwrap_or("missing"),
                            f.reason
                        );
                    }
                }
            }
            anyhow::ensure!(!failed, "the hash chain does not verify");
        }
    }
    Ok(())
}
