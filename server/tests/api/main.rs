//! API tests: each starts the real server on a random port with a fresh database,
//! and runs once on SQLite and once on PostgreSQL.

mod common;

mod accounts;
mod bundles;
mod chain;
mod console;
mod console_errors;
mod console_query;
mod hostile;
mod ingest;
mod init;
mod integrity;
mod members;
mod openapi;
mod operator;
mod ops;
mod proofs;
mod pull;
mod retention;
mod scale;
mod scope;
mod settings;
mod usage;
mod witnesses;
