package org.neguard.api.pkg;

/**
 * A stored package as the server shows it: the answer to an upload (201 new, 200 the same file
 * again) and the rows of {@code GET /api/packages}.
 *
 * @param sha256 SHA-256 of the whole bundle file, hex: the stored package's identity, also sent
 *     with every download
 * @param manifestSha256 SHA-256 of the signed manifest, hex
 * @param rim the reference integrity measurement (tree digest) the manifest declares
 * @param uploadedAt ISO-8601 instant
 */
public record PackageInfo(String name, String version, String sha256, String manifestSha256,
    long sizeBytes, long securityVersion, String neType, String vendor, String rim,
    String signerSubject, String signerFingerprint, String uploadedBy, String uploadedAt) {}
