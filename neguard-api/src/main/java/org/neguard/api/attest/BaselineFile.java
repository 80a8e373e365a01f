package org.neguard.api.attest;

/**
 * One file a platform baseline was measured with ({@code GET /api/baselines/{id}/files}): what
 * an approver reads before approving.
 *
 * @param path the path below the platform component's directory
 * @param sha256 its SHA-256, 64 lower-case hex digits
 * @param mode its twelve permission bits, octal ({@code 0644})
 */
public record BaselineFile(String path, String sha256, String mode) {}
