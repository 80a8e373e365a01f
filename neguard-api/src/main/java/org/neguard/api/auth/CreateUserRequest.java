package org.neguard.api.auth;

import java.util.List;

/**
 * {@code POST /api/users}.
 *
 * @param password the new user's password, or null to have the server generate one
 */
public record CreateUserRequest(String username, String password, List<Role> roles) {}
