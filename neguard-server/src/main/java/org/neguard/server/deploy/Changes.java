package org.neguard.server.deploy;

import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs a change and its audit row in one transaction, and a refusal so that it changes nothing
 * yet leaves its audit row: the body marks a savepoint once it holds its locks; an {@link
 * ApiException} from the body rolls back to that savepoint, the refusal is appended to the audit
 * log, the transaction commits (the row and the locks' work before the mark, such as an expiry
 * found on the way) and the exception is thrown to the caller.
 */
@Component
final class Changes {
  /** The body of a change. */
  interface Body<T> {
    T run(Tx tx);
  }

  /** The running transaction, for the body to mark where a refusal rolls back to. */
  static final class Tx {
    private final TransactionStatus status;
    private Object savepoint;

    private Tx(TransactionStatus status) {
      this.status = status;
    }

    /**
     * Everything after this is undone by a refusal; the body calls it again once it holds its
     * locks and has made the changes a refusal must keep (an expiry found on the way).
     */
    void mark() {
      savepoint = status.createSavepoint();
    }
  }

  private record Outcome<T>(T value, ApiException refusal) {}

  private final TransactionTemplate tx;
  private final AuditLog audit;

  Changes(PlatformTransactionManager transactions, AuditLog audit) {
    this.tx = new TransactionTemplate(transactions);
    this.audit = audit;
  }

  /**
   * Runs {@code body} in a transaction; a refusal it throws is audited as {@code action} on
   * {@code target} by {@code actor} and rethrown after the commit.
   */
  <T> T run(String actor, String action, String target, Body<T> body) {
    Outcome<T> o = tx.execute(status -> {
      Tx t = new Tx(status);
      t.mark();
      try {
        return new Outcome<>(body.run(t), null);
      } catch (ApiException e) {
        status.rollbackToSavepoint(t.savepoint);
        audit.append(refusal(actor, action, target, e));
        return new Outcome<>(null, e);
      }
    });
    if (o.refusal() != null) {
      throw o.refusal();
    }
    return o.value();
  }

  /** The audit row of a refusal: denied for 401 and 403, else a failure; codes and messages. */
  static AuditEvent refusal(String actor, String action, String target, ApiException e) {
    StringBuilder detail = new StringBuilder();
    for (Reason r : e.reasons()) {
      detail.append(detail.isEmpty() ? "" : "; ").append(r.code()).append(": ")
          .append(r.message());
    }
    return e.status() == 401 || e.status() == 403
        ? AuditEvent.denied(actor, action, target, detail.toString())
        : AuditEvent.failure(actor, action, target, detail.toString());
  }
}
