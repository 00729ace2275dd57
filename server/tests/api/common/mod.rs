//! Test harness: the real server on a random port, over a fresh database of either backend.

#![allow(dead_code)]

use app::model::Role;
use app::store::{NewUser, Store};
use reqwest::{redirect::Policy, Client, Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use vigil::{auth, config::Config, AppState};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub store: Store,
    /// The server's configuration: its checkpoint signer and origin among others.
    pub config: Arc<Config>,
    pub client: Client,
    /// Tenant `t1`, all accounts (`a1`, `a2`).
    pub key: String,
    /// Tenant `t1`, bound to account `a2`.
    pub key_a2: String,
    /// Tenant `t2` (account `b1`).
    pub key_t2: String,
}

pub const PASSWORD: &str = "correct-horse-battery";
/// Small, so the 413 test need not send megabytes.
pub const BODY_LIMIT: usize = 256 * 1024;

pub async fn fresh_database(backend: Backend) -> String {
    let name = format!("vigil_test_{}", uuid::Uuid::now_v7().simple());
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            format!("sqlite:{}", path.display())
        }
        Backend::Postgres => {
            let admin = std::env::var("VIGIL_TEST_PG_URL").expect(
                "VIGIL_TEST_PG_URL must name a PostgreSQL server for the postgres tests \
                 (scripts/test.sh starts one)",
            );
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("connect to test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
            format!("{base}/{name}")
        }
    }
}

/// `TEST_LOG=1` shows the servers' logs (`RUST_LOG` filters them, default `info`).
fn init_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("TEST_LOG").is_some() {
        ONCE.call_once(|| {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .init();
        });
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app`, with `configure` changing the server's configuration first.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    init_log();
    let url = fresh_database(backend).await;
    let store = Store::connect(&url).await.expect("open store");
    let now = chrono::Utc::now().timestamp_millis();
    for (tenant, accounts) in [("t1", &["a1", "a2"][..]), ("t2", &["b1"][..])] {
        store
            .create_tenant(tenant, tenant, now)
            .await
            .expect("tenant");
        for a in accounts {
            store
                .create_account(a, tenant, a, now)
                .await
                .expect("account");
        }
    }
    let hash = auth::password::hash(PASSWORD).expect("hash");
    for (id, tenant, email, role, account) in [
        ("u1", "t1", "tenant@t1.test", Role::TenantAdmin, None),
        ("u2", "t1", "a1@t1.test", Role::AccountAdmin, Some("a1")),
        ("u3", "t2", "tenant@t2.test", Role::TenantAdmin, None),
        ("u4", "t1", "a2@t1.test", Role::AccountAdmin, Some("a2")),
    ] {
        store
            .create_user(
                NewUser {
                    id,
                    tenant_id: tenant,
                    email,
                    password_hash: &hash,
                    role,
                    account_id: account,
                },
                now,
            )
            .await
            .expect("user");
    }
    let key = |tenant: &'static str, account: Option<&'static str>| {
        let store = store.clone();
        async move {
            store
                .create_api_key(tenant, account, "test")
                .await
                .expect("key")
                .plaintext
        }
    };
    let (k1, k2, k3) = (
        key("t1", None).await,
        key("t1", Some("a2")).await,
        key("t2", None).await,
    );
    let mut app = start(store, url, configure).await;
    (app.key, app.key_a2, app.key_t2) = (k1, k2, k3);
    app
}

/// A server over a fresh, empty database: no tenant, no user, no key (the `key`
/// fields are empty).
pub async fn spawn_empty_app(backend: Backend) -> TestApp {
    init_log();
    let url = fresh_database(backend).await;
    let store = Store::connect(&url).await.expect("open store");
    start(store, url, |_| {}).await
}

/// Serves `store` (over the database at `url`) on a random port.
async fn start(store: Store, url: String, configure: impl FnOnce(&mut Config)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut config = Config {
        addr,
        body_limit: BODY_LIMIT,
        ..Config::default()
    };
    configure(&mut config);
    let config = Arc::new(config);
    let state = AppState {
        throttle: Default::default(),
        leptos_options: vigil::config::leptos_options(addr, "target/site"),
        store: store.clone(),
        config: config.clone(),
    };
    tokio::spawn(vigil::serve(listener, state));
    TestApp {
        base: format!("http://{addr}"),
        database_url: url,
        store,
        config,
        client: Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client"),
        key: String::new(),
        key_a2: String::new(),
        key_t2: String::new(),
    }
}

/// A SQLite test's files go with it (PostgreSQL's databases go with the throw-away
/// cluster scripts/pg.sh starts).
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = self.database_url.strip_prefix("sqlite:") {
            for file in app::store::database_files(std::path::Path::new(path)) {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

impl TestApp {
    pub async fn post_events(&self, key: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}/api/v1/events", self.base))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request");
        json_of(r).await
    }

    pub async fn post_raw(
        &self,
        key: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .post(format!("{}/api/v1/events", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        json_of(r.send().await.expect("request")).await
    }

    pub async fn get_events(&self, key: &str, query: &str) -> (StatusCode, Value) {
        json_of(
            self.api_get(Some(key), &format!("/api/v1/events?{query}"))
                .await,
        )
        .await
    }

    /// `GET path` of the API, with `key` if given.
    pub async fn api_get(&self, key: Option<&str>, path: &str) -> Response {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(key) = key {
            r = r.bearer_auth(key);
        }
        r.send().await.expect("request")
    }

    /// Signs in and returns the session cookie (`name=value`).
    pub async fn sign_in(&self, email: &str, password: &str) -> Option<String> {
        let r = self
            .client
            .post(format!("{}/auth/login", self.base))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        r.headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }

    pub async fn page(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send().await.expect("page")
    }
}

impl TestApp {
    /// Posts a console form (URL-encoded, as a browser does) as `cookie`'s user.
    pub async fn form(&self, cookie: Option<&str>, path: &str, form: &[(&str, &str)]) -> Response {
        let mut r = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send().await.expect("form")
    }

    /// A new operator token for the provisioning API, named `name`.
    pub async fn operator_token(&self, name: &str) -> String {
        let name = app::model::DisplayName::parse(name).expect("name");
        self.store
            .create_operator_token(&name, chrono::Utc::now().timestamp_millis())
            .await
            .expect("operator token")
            .plaintext
    }

    /// `method path` of the provisioning API with `token` (if any) and a JSON body.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .request(method, format!("{}/api/v1/admin{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        json_of(r.send().await.expect("request")).await
    }
}

/// Where a 303 sends the browser.
pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The value of cookie `name` a response sets (`None` if it sets none).
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

impl TestApp {
    /// Calls a server function as the browser does (URL-encoded POST), as `cookie`'s user.
    pub async fn call<F: leptos::server_fn::ServerFn>(
        &self,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut r = self
            .client
            .post(format!("{}{}", self.base, F::PATH))
            .form(form);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        let r = r.send().await.expect("server fn");
        (r.status(), r.text().await.expect("body"))
    }
}

impl TestApp {
    /// One page of the console's list, as `cookie`'s user, for a (partial) `ConsoleQuery`.
    pub async fn list(&self, cookie: Option<&str>, query: Value) -> (StatusCode, String) {
        let path = <app::api::ListRecords as leptos::server_fn::ServerFn>::PATH;
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&serde_json::json!({"query": query, "cursor": null}));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        let r = r.send().await.expect("list_records");
        (r.status(), r.text().await.expect("body"))
    }
}

pub async fn json_of(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.expect("body");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

pub fn ai(account: &str, user: &str) -> Value {
    serde_json::json!({
        "kind": "ai_interaction", "account_id": account, "user": user,
        "action": "chat.completion", "resource": "chat:conv_abc123", "model": "gpt-4o",
        "input_tokens": 1000, "output_tokens": 500, "dlp": "clean",
        "ip": "203.0.113.7", "user_agent": "test/1"
    })
}

/// Runs each listed `async fn(Backend)` as one test per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::common::Backend::Sqlite).await } )+
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::common::Backend::Postgres).await } )+
        }
    };
}

/// Hex hashes of a JSON array (a proof as the API returns it).
pub fn hashes(v: &Value) -> Vec<app::merkle::Hash> {
    v.as_array()
        .expect("hashes")
        .iter()
        .map(|h| {
            let bytes = hex::decode(h.as_str().expect("hex")).expect("hex");
            bytes.try_into().expect("32 bytes")
        })
        .collect()
}

/// A store opened as a fresh role granted what `vigil migrate --grant` grants a
/// serving role: not the owner (PostgreSQL only).
pub async fn serving_role(app: &TestApp) -> Store {
    let role = format!("vigil_app_{}", uuid::Uuid::now_v7().simple());
    app.store
        .execute_raw(&format!("CREATE ROLE {role} LOGIN"))
        .await
        .expect("role");
    app.store.grant_serving_role(&role).await.expect("grants");
    let url = app
        .database_url
        .replacen("postgres@", &format!("{role}@"), 1);
    Store::open(&url, app::store::Migrations::Skip)
        .await
        .expect("opens without migrating")
}
