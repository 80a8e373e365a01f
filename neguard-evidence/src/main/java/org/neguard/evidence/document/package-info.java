/**
 * An evidence document of test cases judged from a server's records, with one overall verdict
 * (the hardening and authorization documents of the console's Evidence page).
 */
package org.neguard.evidence.document;
