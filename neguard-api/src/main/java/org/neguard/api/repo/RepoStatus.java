package org.neguard.api.repo;

import java.util.List;

/**
 * The repository as it is published ({@code GET /api/repo/status}; also the answer to {@code
 * POST /api/repo/root}).
 *
 * @param initialized whether a root has been published ({@code neguard repo init})
 * @param roles root, targets, snapshot and timestamp, in that order (empty before a root)
 * @param targets how many targets the current targets metadata lists
 * @param publishedAt ISO-8601 instant of the last publication, or null
 * @param message what to do next, when something is missing; else null
 */
public record RepoStatus(boolean initialized, List<RepoRole> roles, int targets,
    String publishedAt, String message) {}
