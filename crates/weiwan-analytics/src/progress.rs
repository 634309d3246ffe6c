//! How the extract readers say how far they got, for a progress display. Analytics only counts
//! what it reads; the app crate turns these calls into the stages of its operations (see
//! `weiwan_app::progress`) and decides how they are shown.

/// Receives progress while an extract's files are read. Files without references between
/// them are validated on several threads at once, so implementations must be `Sync`.
pub trait ReadProgress: Sync {
    /// `bytes` more bytes of the extract's files were read. The calls for one pass over the
    /// files add up to the files' sizes.
    fn read(&self, bytes: u64);

    /// Validation read a file whole: `records` records (data rows, valid or not).
    fn file_validated(&self, file: &str, records: u64);
}

/// Reports nothing: the callers that show no progress.
impl ReadProgress for () {
    fn read(&self, _bytes: u64) {}

    fn file_validated(&self, _file: &str, _records: u64) {}
}

/// Turns positions within one file into `read` calls, at most one per [`ReadMeter::STEP`]
/// bytes so that a display is not called for every row.
pub(crate) struct ReadMeter<'a> {
    progress: &'a dyn ReadProgress,
    reported: u64,
}

impl<'a> ReadMeter<'a> {
    const STEP: u64 = 1 << 20;

    pub(crate) fn new(progress: &'a dyn ReadProgress) -> ReadMeter<'a> {
        ReadMeter { progress, reported: 0 }
    }

    /// The file has been read up to `position` bytes; reported once a step has gathered.
    pub(crate) fn at(&mut self, position: u64) {
        if position >= self.reported + Self::STEP {
            self.progress.read(position - self.reported);
            self.reported = position;
        }
    }

    /// The file was read whole: reports what is left up to its `size`.
    pub(crate) fn finish(mut self, size: u64) {
        if size > self.reported {
            self.progress.read(size - self.reported);
            self.reported = size;
        }
    }
}
