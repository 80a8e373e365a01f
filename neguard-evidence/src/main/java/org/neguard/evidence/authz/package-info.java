/** The authorization evidence a server gives of itself: its RBAC matrix and recorded refusals. */
package org.neguard.evidence.authz;
