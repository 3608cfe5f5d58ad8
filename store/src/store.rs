//! The `Store` facade: migrations at open, then the write-behind pool and the loader pool.

use std::path::PathBuf;
use std::time::Duration;

use crate::backend::{Backend, BackendConfig, Connector, Faults};
use crate::error::StoreError;
use crate::loader::{Loader, LoaderConfig};
use crate::stats::FlushReport;
use crate::writer::{Writer, WriterConfig};

/// Everything needed to open a store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub backend: BackendConfig,
    pub writer: WriterConfig,
    pub loader: LoaderConfig,
    /// Test hook shared by every connection (inactive by default).
    pub faults: Faults,
}

impl StoreConfig {
    /// Production: PostgreSQL at `url`.
    pub fn postgres(url: impl Into<String>) -> StoreConfig {
        StoreConfig::with_backend(BackendConfig::Postgres { url: url.into() })
    }

    /// Embedded default: an SQLite file (created if missing).
    pub fn sqlite(path: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig::with_backend(BackendConfig::Sqlite { path: path.into() })
    }

    pub fn with_backend(backend: BackendConfig) -> StoreConfig {
        StoreConfig {
            backend,
            writer: WriterConfig::default(),
            loader: LoaderConfig::default(),
            faults: Faults::default(),
        }
    }
}

/// An open store: migrated database, write-behind pool, loader pool.
#[derive(Debug)]
pub struct Store {
    connector: Connector,
    writer: Writer,
    loader: Loader,
}

impl Store {
    /// Applies pending migrations (the database must be reachable now), then starts the pools.
    pub fn open(config: StoreConfig) -> Result<Store, StoreError> {
        let connector = Connector::new(config.backend).with_faults(config.faults);
        connector.migrate()?;
        let writer = Writer::start(connector.clone(), config.writer);
        let loader = Loader::start(connector.clone(), config.loader);
        Ok(Store { connector, writer, loader })
    }

    /// Non-blocking writes.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Off-thread loads.
    pub fn loader(&self) -> &Loader {
        &self.loader
    }

    /// A new blocking connection, for tools and tests (never on the tick thread).
    pub fn connect(&self) -> Result<Box<dyn Backend>, StoreError> {
        self.connector.connect()
    }

    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// Drains every queued write (up to `timeout`), stops the pools and reports.
    pub fn shutdown(self, timeout: Duration) -> FlushReport {
        let report = self.writer.shutdown(timeout);
        self.loader.shutdown();
        report
    }
}
