//! Deciding one approval: approve (optional comment), reject (comment
//! required), forward (new owner and comment, 1 to 255 characters each).
//! Each answers 202 once the decision is queued.

use sailpoint_access_api::types::{ApprovalComment, ForwardApproval};
use sailpoint_access_api::{limits, Rule};

use super::check_id;
use crate::engine::Engine;
use crate::error::{Result, ValidationError};
use crate::ops::send_body;

/// Most characters of a forward's new owner id and of its comment.
pub const MAX_FORWARD_TEXT: usize = limits::FORWARD_APPROVAL_COMMENT_MAX_LENGTH;

/// Approves one approval (`POST .../{approvalId}/approve`); from
/// `Approvals::approve`.
#[derive(Clone, Debug)]
#[must_use = "an approval does nothing until `send` is awaited"]
pub struct Approve {
    engine: Engine,
    approval_id: String,
    comment: Option<String>,
}

impl Approve {
    pub(crate) fn new(engine: Engine, approval_id: String) -> Self {
        Self {
            engine,
            approval_id,
            comment: None,
        }
    }

    /// The reviewer's comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Validates (`approval.id`) and sends.
    pub async fn send(self) -> Result<()> {
        check_id(&self.approval_id, Rule::ApprovalId)?;
        let body = ApprovalComment {
            comment: self.comment,
        };
        let id = self.approval_id;
        send_body!(
            self.engine,
            APPROVE_APPROVAL,
            body,
            approve_approval.approval_id(id.as_str())
        )?;
        Ok(())
    }
}

/// Rejects one approval (`POST .../{approvalId}/reject`); from
/// `Approvals::reject`.
#[derive(Clone, Debug)]
#[must_use = "a rejection does nothing until `send` is awaited"]
pub struct Reject {
    engine: Engine,
    approval_id: String,
    comment: String,
}

impl Reject {
    pub(crate) fn new(engine: Engine, approval_id: String, comment: String) -> Self {
        Self {
            engine,
            approval_id,
            comment,
        }
    }

    /// Validates (`approval.id`, `approval.reject_comment`) and sends.
    pub async fn send(self) -> Result<()> {
        check_id(&self.approval_id, Rule::ApprovalId)?;
        check_id(&self.comment, Rule::ApprovalRejectComment)?;
        let body = ApprovalComment {
            comment: Some(self.comment),
        };
        let id = self.approval_id;
        send_body!(
            self.engine,
            REJECT_APPROVAL,
            body,
            reject_approval.approval_id(id.as_str())
        )?;
        Ok(())
    }
}

/// Hands one approval to another owner (`POST .../{approvalId}/forward`);
/// from `Approvals::forward`.
#[derive(Clone, Debug)]
#[must_use = "a forward does nothing until `send` is awaited"]
pub struct Forward {
    engine: Engine,
    approval_id: String,
    new_owner_id: String,
    comment: String,
}

/// `text` has 1 to [`MAX_FORWARD_TEXT`] characters and is not blank, else
/// `rule` is broken.
fn check_text(text: &str, rule: Rule) -> Result<(), ValidationError> {
    let n = text.chars().count();
    if text.trim().is_empty() || n > MAX_FORWARD_TEXT {
        return Err(ValidationError::with_message(
            rule,
            format!("{n} characters"),
            format!("between 1 and {MAX_FORWARD_TEXT} characters, not blank, are required"),
        ));
    }
    Ok(())
}

/// A checked forward text as the generated body's constrained string.
fn forward_text<T>(text: String) -> Result<T, ValidationError>
where
    T: TryFrom<String, Error = sailpoint_access_api::types::error::ConversionError>,
{
    T::try_from(text)
        .map_err(|e| ValidationError::with_message(Rule::RequestEncode, "forward", e.to_string()))
}

impl Forward {
    pub(crate) fn new(
        engine: Engine,
        approval_id: String,
        new_owner_id: String,
        comment: String,
    ) -> Self {
        Self {
            engine,
            approval_id,
            new_owner_id,
            comment,
        }
    }

    /// Validates (`approval.id`, `approval.forward_owner`,
    /// `approval.forward_comment`) and sends.
    pub async fn send(self) -> Result<()> {
        check_id(&self.approval_id, Rule::ApprovalId)?;
        check_text(&self.new_owner_id, Rule::ApprovalForwardOwner)?;
        check_text(&self.comment, Rule::ApprovalForwardComment)?;
        let body = ForwardApproval {
            new_owner_id: forward_text(self.new_owner_id)?,
            comment: forward_text(self.comment)?,
        };
        let id = self.approval_id;
        send_body!(
            self.engine,
            FORWARD_APPROVAL,
            body,
            forward_approval.approval_id(id.as_str())
        )?;
        Ok(())
    }
}
