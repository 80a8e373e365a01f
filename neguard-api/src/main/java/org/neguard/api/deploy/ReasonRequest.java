package org.neguard.api.deploy;

/**
 * The body of reject (reason required), pause, resume and cancel (reason optional).
 *
 * @param reason why, recorded in the audit row and shown in the deployment's status
 */
public record ReasonRequest(String reason) {}
