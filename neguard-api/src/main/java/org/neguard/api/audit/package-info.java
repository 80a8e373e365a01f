/** The audit log (SRC-3): the bodies of {@code /api/audit} and {@code /api/audit/verify}. */
package org.neguard.api.audit;
