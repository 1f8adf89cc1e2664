//! The API as clients use it: the real server on a random port, over SQLite and PostgreSQL.

mod alerts;
mod analysis;
mod bot;
mod desk;
mod imports;
mod knowledge;
mod lint;
mod llm;
mod malformed;
mod qa;
mod story;
mod tenancy;
mod tickets;
mod webhook;
