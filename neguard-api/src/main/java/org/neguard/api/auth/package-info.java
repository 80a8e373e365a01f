/**
 * Log in, tokens, users and their roles (SRC-1): the bodies of {@code /api/auth},
 * {@code /api/tokens}, {@code /api/users} and {@code /api/endpoints}.
 */
package org.neguard.api.auth;
