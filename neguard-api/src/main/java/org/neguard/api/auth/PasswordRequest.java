package org.neguard.api.auth;

/** {@code PUT /api/auth/password}: change one's own password. */
public record PasswordRequest(String oldPassword, String newPassword) {}
