package org.neguard.api.auth;

import java.util.List;

/**
 * One endpoint and the access it declares ({@code GET /api/endpoints}).
 *
 * @param method HTTP method
 * @param path path pattern, {@code {name}} for variables
 * @param access {@code anonymous}, {@code any-user} or {@code roles}
 * @param roles the roles admitted when access is {@code roles}, each as written
 */
public record Endpoint(String method, String path, String access, List<RoleName> roles) {}
