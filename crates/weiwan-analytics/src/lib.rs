//! The batch side of weiwan: Arrow and Parquet, and (from the analytics issue on) DataFusion.
//!
//! Today it owns the extract formats: [`discover`]ing an extract's files, validating them
//! whole into a staging area ([`stage_extract`]), the versioned Parquet [`Lake`] that bulk
//! history lands in, and the [`ExtractWriter`] the synthetic operator writes through.
//!
//! It knows nothing of the store, HTTP or the command line; the app crate wires it to them.

pub mod alerts;
pub mod batch;
pub mod campaigns;
pub mod churn;
pub mod churn_kinds;
pub mod error;
pub mod keys;
pub mod kpi;
pub mod lake;
pub mod layout;
pub mod members;
pub mod policy_index;
pub mod progress;
pub mod segments;
pub mod source;
pub mod store_snapshot;
pub mod tags;
pub mod trends;
pub mod validate;
pub mod writer;

pub use batch::{Customer360, build_customer_360, customer_360_path};
pub use churn_kinds::{
    BranchChurnKinds, ChurnKindCounts, ChurnKindReport, ChurnKindSettings, ClassifiedLine, classify_churn,
};
pub use error::{Error, Location, Problem, Refusal, Result};
pub use kpi::{KpiError, KpiGroup, KpiRefused, KpiReport, KpiSettings, Target, cohort_kpis, snapshot_cohort};
pub use lake::{Lake, Manifest, StagedExtract};
pub use policy_index::{IndexedCustomer, IndexedLine, PolicyIndex};
pub use progress::ReadProgress;
pub use segments::{Condition, Preview, Schedule, Segment, SegmentError, SegmentQuery, SegmentRefused};
pub use source::{ExtractFile, FileFormat, discover};
pub use store_snapshot::{
    ClubAttendanceRow, ClubMembershipRow, KeyPersonRow, StoreSnapshot, store_snapshot_dir,
    write_store_snapshot,
};
pub use tags::{
    TagLibrary, TagLibraryRefused, TagValues, active_library, evaluate_tags, load_library, tagged_dates,
};
pub use validate::{ExistingKeys, Lookup, stage_extract, stage_extract_with_progress};
pub use writer::ExtractWriter;

use sha2::{Digest, Sha256};

/// The identity of an extract: a digest of its file names and contents. Importing the same
/// files again yields the same id, which is how a repeated import is recognised.
pub fn fingerprint(files: &[ExtractFile]) -> Result<String> {
    fingerprint_with_progress(files, &())
}

/// [`fingerprint`], reporting the bytes read (adding up to the files' sizes) to `progress`.
pub fn fingerprint_with_progress(files: &[ExtractFile], progress: &dyn ReadProgress) -> Result<String> {
    use std::io::Read;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    for file in files {
        hasher.update(file.file_name().as_bytes());
        hasher.update([0]);
        let mut handle = std::fs::File::open(&file.path).map_err(Error::io(&file.path))?;
        loop {
            let n = handle.read(&mut buffer).map_err(Error::io(&file.path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            progress.read(n as u64);
        }
        hasher.update([0]);
    }
    Ok(hex::encode(&hasher.finalize()[..12]))
}
