package org.neguard.server.pkg;

/**
 * Published (as a Spring application event) once a verified package's row has committed, so that
 * features built on the package store can follow it without the store knowing them: the TUF
 * repository publishes the new target at once. Delivered in the uploading request's thread; a
 * listener's failure does not undo or fail the upload.
 *
 * @param name the package's name
 * @param version its version
 * @param sha256 SHA-256 of the stored bundle file
 */
public record PackageStored(String name, String version, String sha256) {}
