package org.neguard.server.audit;

import java.util.Objects;

/**
 * What a feature asks the audit log to record; the log adds time, client address and the chain.
 *
 * @param actor who acted
 * @param action what was done
 * @param target what it was done to
 * @param outcome {@link #SUCCESS}, {@link #FAILURE} or {@link #DENIED}
 * @param detail reason codes and details; may be empty
 */
public record AuditEvent(String actor, String action, String target, String outcome,
    String detail) {
  public static final String SUCCESS = "success";
  public static final String FAILURE = "failure";
  public static final String DENIED = "denied";

  public AuditEvent {
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(outcome, "outcome");
    detail = detail == null ? "" : detail;
  }

  public static AuditEvent success(String actor, String action, String target, String detail) {
    return new AuditEvent(actor, action, target, SUCCESS, detail);
  }

  public static AuditEvent failure(String actor, String action, String target, String detail) {
    return new AuditEvent(actor, action, target, FAILURE, detail);
  }

  public static AuditEvent denied(String actor, String action, String target, String detail) {
    return new AuditEvent(actor, action, target, DENIED, detail);
  }
}
