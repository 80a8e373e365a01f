package org.neguard.api.repo;

import java.util.List;

/**
 * One top-level role of the published repository.
 *
 * @param role {@code root}, {@code targets}, {@code snapshot} or {@code timestamp}
 * @param version the current version, 0 when not yet published
 * @param expires ISO-8601 instant the current version expires, or null
 * @param keyIds the TUF key ids the current root names for the role
 * @param threshold signatures the role needs, as the current root says
 * @param online whether the server signs it with an online key (else offline keys do)
 */
public record RepoRole(String role, int version, String expires, List<String> keyIds,
    int threshold, boolean online) {}
