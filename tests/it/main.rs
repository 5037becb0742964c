//! The integration tests: one binary, a fresh environment per test (temp
//! dir, database, corpus, a real HTTP server on 127.0.0.1), the real
//! `tidings` binary.

mod env;
mod faults;

mod alert;
mod archive;
mod cli;
mod cluster;
mod fetch;
mod firsthour;
mod fleet;
mod hostile;
mod imports;
mod onewriter;
mod owners;
mod pg;
mod pgcli;
mod pgtls;
mod pipeline;
mod pty;
mod service;
mod smtp;
mod synthetic;
mod tools;
mod workers;
