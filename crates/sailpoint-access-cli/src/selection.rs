//! Which requests a command is about: the filters shared by `status`,
//! `cancel`, `close` and `approvals`, typed at parse time, and the status
//! query they make.

use clap::Args;
use sailpoint_access::types::RequestStateFilter;
use sailpoint_access::{Client, Filter, StatusQuery, Timestamp};

use crate::error::CliError;

/// The filters shared by `status`, `cancel` and `close`.
#[derive(Debug, Args, Default, Clone)]
pub struct Selection {
    /// Requests for this identity (`me` for the caller).
    #[arg(long, value_name = "IDENTITY")]
    pub requested_for: Option<String>,
    /// Requests made by this identity (`me` for the caller).
    #[arg(long, value_name = "IDENTITY")]
    pub requested_by: Option<String>,
    /// Requests for or by this identity.
    #[arg(long, value_name = "IDENTITY")]
    pub regarding_identity: Option<String>,
    /// Requests with an approval assigned to this identity.
    #[arg(long, value_name = "IDENTITY")]
    pub assigned_to: Option<String>,
    /// Only requests still executing.
    #[arg(long)]
    pub pending: bool,
    /// Only this access request (repeatable: any of them).
    #[arg(long = "access-request-id", value_name = "ID")]
    pub access_request_id: Vec<String>,
    /// Only this account activity item.
    #[arg(long, value_name = "ID")]
    pub activity_id: Option<String>,
    /// Only requests created at or after this time: 30m, 24h, 7d, 2w (that
    /// long before now), 2026-07-01 (midnight UTC) or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse)]
    pub created_after: Option<Timestamp>,
    /// Only requests created before this time (the forms of --created-after).
    #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse)]
    pub created_before: Option<Timestamp>,
}

impl Selection {
    /// Whether a filter other than the access request ids is given (the
    /// ids alone need no status query to be known).
    pub fn filters_beyond_ids(&self) -> bool {
        !Selection {
            access_request_id: Vec::new(),
            ..self.clone()
        }
        .is_empty()
    }

    /// Whether any filter is given.
    pub fn is_empty(&self) -> bool {
        self.requested_for.is_none()
            && self.requested_by.is_none()
            && self.regarding_identity.is_none()
            && self.assigned_to.is_none()
            && !self.pending
            && self.access_request_id.is_empty()
            && self.activity_id.is_none()
            && self.created_after.is_none()
            && self.created_before.is_none()
    }

    /// The status query of this selection.
    pub fn query(&self, client: &Client) -> StatusQuery {
        let mut q = client.statuses();
        if let Some(id) = &self.requested_for {
            q = q.requested_for(id);
        }
        if let Some(id) = &self.requested_by {
            q = q.requested_by(id);
        }
        if let Some(id) = &self.regarding_identity {
            q = q.regarding_identity(id);
        }
        if let Some(id) = &self.assigned_to {
            q = q.assigned_to(id);
        }
        if self.pending {
            q = q.request_state(RequestStateFilter::Executing);
        }
        let mut filters: Vec<Filter> = Vec::new();
        match self.access_request_id.as_slice() {
            [] => {}
            [id] => filters.push(Filter::access_request_id().eq(id)),
            ids => filters.push(Filter::access_request_id().in_(ids.iter().cloned())),
        }
        if let Some(id) = &self.activity_id {
            filters.push(Filter::account_activity_item_id().eq(id));
        }
        if let Some(t) = &self.created_after {
            filters.push(Filter::created().ge(*t));
        }
        if let Some(t) = &self.created_before {
            filters.push(Filter::created().lt(*t));
        }
        let mut filters = filters.into_iter();
        if let Some(first) = filters.next() {
            q = q.filter(filters.fold(first, Filter::and));
        }
        q
    }

    /// The access requests this selection's status query finds, each once,
    /// in list order.
    pub async fn request_ids(&self, client: &Client) -> Result<Vec<String>, CliError> {
        let statuses = self.query(client).collect(usize::MAX).await?;
        let mut seen = std::collections::HashSet::new();
        Ok(statuses
            .into_iter()
            .filter_map(|s| s.access_request_id)
            .filter(|id| seen.insert(id.clone()))
            .collect())
    }
}
