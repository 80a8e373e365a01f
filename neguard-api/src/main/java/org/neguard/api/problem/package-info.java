/**
 * The one shape of every refusal and error: {@link org.neguard.api.problem.Problem}, with its
 * verdict and reasons. A client keeps a reason code it does not know as written and classifies it
 * by the problem's verdict, never by guessing another code.
 */
package org.neguard.api.problem;
