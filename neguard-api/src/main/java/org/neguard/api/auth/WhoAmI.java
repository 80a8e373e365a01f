package org.neguard.api.auth;

import java.util.List;

/**
 * {@code GET /api/auth/whoami}: the caller as the server sees it.
 *
 * @param roles sorted
 * @param tokenId the token the request came with
 */
public record WhoAmI(String username, List<Role> roles, String tokenId) {}
