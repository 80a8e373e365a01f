package org.neguard.api.deploy;

/** One recorded approval: who and when (ISO-8601 instant). */
public record ApprovalInfo(String approver, String approvedAt, boolean rollbackAcknowledged) {}
