/** The package repository (SRC-2): the bodies of {@code /api/packages} and {@code /api/trust}. */
package org.neguard.api.pkg;
