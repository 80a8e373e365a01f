package org.neguard.api.auth;

/** The answer to {@code POST /api/users/{username}/disable} and {@code .../enable}. */
public record UserDisabled(String username, boolean disabled) {}
