package org.neguard.api.auth;

import java.util.List;

/**
 * A user as the server shows it ({@code GET /api/users}).
 *
 * @param roles sorted; a role this client does not know is kept as written
 * @param createdAt ISO-8601 instant
 */
public record User(String username, List<RoleName> roles, boolean disabled, String createdAt) {}
