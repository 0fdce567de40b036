//! Whole-namespace work as pure plans composed of the existing ones, driven by the same
//! [`Plan`](crate::Plan) loop:
//!
//! - [`ExportPlan`]: listing pages feed bulk gets (text with metadata), suspect values are
//!   re-read with a single `GET`; [`Record`](crate::records::Record)s come out in key order.
//! - [`ImportInput`]: records (from [`ImportReader`](crate::records::ImportReader)) as the
//!   lazy input of a [`BulkWritePlan`](crate::BulkWritePlan), invalid ones reported failed
//!   with `attempts: 0` and their position.
//! - [`PurgePlan`]: listing pages feed bulk delete plans.
//! - [`TypedBulkGetReport`]: a text bulk get parsed as JSON per key on the client.
//!
//! Copy is an export feeding an import; it lives in the shell, which may run the two halves
//! against two clients.

mod export;
mod import;
mod purge;
mod typed;

pub use export::{
    DEFAULT_EXPORT_WINDOW, ExportConfig, ExportOp, ExportOutput, ExportPlan, ExportReport,
};
pub use import::{ImportInput, ImportItem};
pub use purge::{DEFAULT_PURGE_WINDOW, PurgeOp, PurgeOutput, PurgePlan, PurgeReport};
pub use typed::TypedBulkGetReport;
