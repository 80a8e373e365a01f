package org.neguard.api.auth;

/** The answer to {@code PUT /api/auth/password}: {@code {"changed": true}}. */
public record PasswordChanged(boolean changed) {}
