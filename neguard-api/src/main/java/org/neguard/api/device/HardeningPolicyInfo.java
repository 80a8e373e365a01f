package org.neguard.api.device;

/**
 * One version of an NE type's hardening policy on the server ({@code neguard policy}): the same
 * YAML document {@code neguard harden check --policy} reads (docs/HARDENING.md).
 *
 * @param neType the NE type it applies to
 * @param version 1, 2, ...: each upload a new version; the highest is in force
 * @param sha256 SHA-256 of the document's bytes, lower-case hex
 * @param uploadedBy who uploaded it
 * @param uploadedAt ISO-8601 instant
 * @param description the policy's description, or null
 * @param declared the declared ports ({@code tcp/22 ssh}), in the policy's order
 * @param current whether this version is the one in force
 * @param content the YAML document, exactly as uploaded; null in lists
 */
public record HardeningPolicyInfo(String neType, int version, String sha256, String uploadedBy,
    String uploadedAt, String description, java.util.List<String> declared, boolean current,
    String content) {}
