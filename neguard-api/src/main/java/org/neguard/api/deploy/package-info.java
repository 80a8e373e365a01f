/**
 * Deployments (SRC-1, REC-2): the bodies of {@code /api/deployments}: create, four-eyes approval,
 * reject, pause, resume, cancel, status per wave and per device, and recovery campaigns
 * ({@code /api/recoveries}) (docs/DEPLOYMENTS.md).
 */
package org.neguard.api.deploy;
