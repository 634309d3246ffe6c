//! What weiwan keeps about group customers 集团客户 beyond the extract: each key person's
//! 关键人 influence on the group, as the group's manager judges it (a role and a weight).
//!
//! Who belongs to which group, and who is a key person, is the extract's (`customers.group_id`,
//! `customers.is_key_person`); what that person's word weighs is not in any CRM extract and
//! changes with every visit, so managers keep it here. Codes are the domain's code strings;
//! times RFC 3339 from the caller's clock.

use async_trait::async_trait;

use crate::Result;
use crate::service::AuditEntry;

/// A key person's influence as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfluenceRecord {
    pub customer_id: String,
    pub group_id: String,
    /// A `KeyPersonRole` code.
    pub role: String,
    /// The weight w in thousandths (0 to 1000).
    pub weight_permille: i64,
    pub note: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Records a key person's influence, replacing what was recorded before, with its audit
    /// entry, in one transaction.
    async fn set_influence(&self, record: &InfluenceRecord, audit: &AuditEntry) -> Result<()>;
    /// The recorded influences of one group's key persons, or of every group's; by customer.
    async fn influences(&self, group_id: Option<&str>) -> Result<Vec<InfluenceRecord>>;
}
