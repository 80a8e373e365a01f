/**
 * Verdicts shared by every feature: reason codes, reasons, and the exception that carries them.
 * The exit-code contract (0 pass, 1 error, 2 usage, 3 negative verdict) is built on these.
 */
package org.neguard.verdict;
