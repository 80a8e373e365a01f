package org.neguard.api.auth;

import java.util.List;

/** {@code PUT /api/users/{username}/roles}: the user's roles from now on (at least one). */
public record RolesRequest(List<Role> roles) {}
