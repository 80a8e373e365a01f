package org.neguard.api.auth;

import java.util.List;

/**
 * {@code GET /api/auth/whoami}: the caller as the server sees it.
 *
 * @param roles sorted; a role this client does not know is kept as written
 * @param tokenId the token the request came with
 */
public record WhoAmI(String username, List<RoleName> roles, String tokenId) {}
