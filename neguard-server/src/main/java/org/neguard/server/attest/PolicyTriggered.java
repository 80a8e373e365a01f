package org.neguard.server.attest;

/**
 * Published (a Spring application event, in the judging transaction) when a device's failure
 * policy asks for a recovery install (REC-1): {@code rollback} to its last committed package, or
 * {@code reinstall} of a named known-good one. Deployments listen and create the recovery.
 *
 * @param deviceId the failed device
 * @param neType its NE type, whose policy this is
 * @param action {@code rollback} or {@code reinstall}
 * @param packageName the package to install
 * @param packageVersion its version
 * @param reason why: the failed attestation's id and what failed
 */
public record PolicyTriggered(String deviceId, String neType, String action, String packageName,
    String packageVersion, String reason) {}
