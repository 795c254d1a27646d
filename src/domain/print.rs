//! Print jobs: every receipt sent (or not) to paper, kept so staff can reprint.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Printed,
    Spooled,
    Failed,
}

impl JobStatus {
    pub fn key(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Printed => "printed",
            JobStatus::Spooled => "spooled",
            JobStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub kind: String,
    pub pdf_path: String,
    pub printer: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub attempts: u32,
}
