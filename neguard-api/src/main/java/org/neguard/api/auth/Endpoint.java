package org.neguard.api.auth;

import java.util.List;

/**
 * One endpoint and the access it declares ({@code GET /api/endpoints}).
 *
 * @param method HTTP method
 * @param path path pattern, {@code {name}} for variables
 * @param access {@code anonymous}, {@code any-user}, {@code roles}, or {@code device} (an
 *     enrolled device over mutual TLS on the agents' port; no user is admitted)
 * @param roles the roles admitted when access is {@code roles}, each as written
 */
public record Endpoint(String method, String path, String access, List<RoleName> roles) {}
