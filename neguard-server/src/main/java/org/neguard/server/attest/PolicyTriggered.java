package org.neguard.server.attest;

/**
 * Published (a Spring application event) by the platform validation entity when a device's
 * failure policy (REC-1) asks for a recovery: {@code rollback} to the last-known-good package or
 * {@code reinstall} of a named one. The deployments listen and create a recovery deployment for
 * that one device (REC-2), which still needs its approvals (docs/DEPLOYMENTS.md, "Recovery
 * campaigns").
 *
 * @param deviceId the failed device
 * @param neType its NE type
 * @param action {@code rollback} or {@code reinstall}
 * @param packageName the package to install: the last-known-good one, or the named one
 * @param packageVersion its version
 * @param reason why the policy ran (the failed attestation's codes and message)
 */
public record PolicyTriggered(String deviceId, String neType, String action,
    String packageName, String packageVersion, String reason) {}
