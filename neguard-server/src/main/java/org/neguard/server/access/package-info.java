/**
 * Who may call an endpoint ({@link org.neguard.server.access.Allowed}) and who is calling ({@link
 * org.neguard.server.access.CurrentUser}): what every feature package's controllers name. Apart
 * from {@code auth}, which enforces it (accounts, tokens, the interceptor) and writes to the audit
 * log, so that the audit log's own endpoints can be guarded without a package cycle.
 */
package org.neguard.server.access;
