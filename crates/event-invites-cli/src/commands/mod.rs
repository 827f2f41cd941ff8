//! The one-shot commands' parts (the service is `crate::service`): bulk
//! runs of `invite` and `sync` with their journal, progress and summary
//! (`bulk`), the guests' CSV (`guests_csv`), how read commands write their
//! rows (`output`) and the progress bar or lines (`progress`).

pub mod bulk;
pub mod guests_csv;
pub mod output;
pub mod progress;
