/**
 * The operators' web console (issue 18): pages rendered on the server (Thymeleaf), served by
 * {@code neguard server} itself under {@code /console}. Its own security filter chain (form login
 * against the server's accounts, a session cookie, CSRF tokens, a strict Content-Security-Policy);
 * each page and form declares its access with {@link org.neguard.server.access.Allowed} like
 * every API endpoint and calls the same services as the API, with the same roles.
 */
package org.neguard.server.console;
