package org.neguard.api.deploy;

/**
 * {@code POST /api/deployments/{id}/approve} (approver, not the creator).
 *
 * @param acknowledgeRollback must be true to approve a rollback deployment
 * @param comment recorded in the audit row; may be null
 */
public record ApproveRequest(Boolean acknowledgeRollback, String comment) {}
