package org.neguard.api.auth;

import java.util.List;

/** The answer to {@code PUT /api/users/{username}/roles}; {@code roles} sorted. */
public record UserRoles(String username, List<RoleName> roles) {}
