/**
 * The TUF repository of the published packages (OBJ-1, SRC-2, INT-4; docs/REPOSITORY.md): the
 * bodies of {@code /api/repo} besides the TUF files themselves, which travel as the bytes they
 * were signed in ({@code /api/repo/online-keys}, {@code /api/repo/v1/**}).
 */
package org.neguard.api.repo;
