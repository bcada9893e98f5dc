//! The jobs Tidemark runs on the engine: dumps, restores and their preflight checks (with
//! TimescaleDB's procedure), logical and physical backups and their daily schedule,
//! point-in-time restores, uploads and backups made ready, the sweep of old uploads, and the
//! verification of backups by test restores.

pub mod backup;
pub mod drill;
pub mod drill_sweep;
pub mod dump;
pub mod pitr;
pub mod preflight;
pub mod restore;
pub mod scheduler;
pub mod staging;
pub mod timescale;
pub mod upload;
pub mod upload_sweep;
pub mod verify;
pub mod verify_sweep;
