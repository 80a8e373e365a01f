package org.neguard.server.audit;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The append-only, hash-chained audit log (SRC-3). Appends are serialized through a row lock on
 * {@code audit_head}, so several server replicas sharing one PostgreSQL keep one chain. There is
 * no update or delete: not in this class, not in the API. Thread-safe.
 *
 * <p>Within a transaction, rows are written just before it commits: the head's lock is the last
 * lock any transaction takes. Taken where the row was asked for, it was held while the rest of
 * the transaction went on to lock other rows; a transaction that held one of those rows and then
 * asked for the head waited for it in a cycle (a deployment round inserting challenges, whose
 * foreign keys lock the devices, against a device's own request: PostgreSQL aborted one, round
 * after round, and a 10,000-device deployment on two replicas stopped advancing).
 */
@Component
public final class AuditLog {
  static final int MAX_ACTOR = 128;
  static final int MAX_ACTION = 64;
  static final int MAX_TARGET = 1024;
  static final int MAX_DETAIL = 4000;
  static final int MAX_REMOTE = 64;

  private static final RowMapper<AuditRecord> ROW =
      (rs, i) ->
          new AuditRecord(
              rs.getLong("seq"), rs.getString("occurred_at"), rs.getString("actor"),
              rs.getString("action"), rs.getString("target"), rs.getString("outcome"),
              rs.getString("detail"), rs.getString("remote"), rs.getString("prev_hash"),
              rs.getString("hash"));

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final Clock clock = Clock.systemUTC();

  AuditLog(JdbcClient jdbc, PlatformTransactionManager transactions) {
    this.jdbc = jdbc;
    this.tx = new TransactionTemplate(transactions);
  }

  /**
   * Request attribute set once a refusal or failure of the request is committed to the log;
   * {@link RefusalAudit} records one for any refused or failed request without it.
   */
  static final String RECORDED = AuditLog.class.getName() + ".recorded";

  /**
   * Marks {@code request}'s answer (a 404) as the one its protocol expects rather than a refusal,
   * so that {@link RefusalAudit} writes no row for it: a TUF client ends every refresh by asking
   * for the root version after the newest and is told there is none. Only for such answers:
   * every refusal must leave a row.
   */
  public static void expectedAnswer(HttpServletRequest request) {
    request.setAttribute(RECORDED, Boolean.TRUE);
  }

  /** Request attribute: the authenticated user's name, for rows written outside a handler. */
  public static final String ACTOR = AuditLog.class.getName() + ".actor";

  /**
   * Appends one row, in the caller's transaction if there is one (so that a change and its
   * record commit together: the row is written just before that transaction commits, and not at
   * all if it rolls back), else at once in its own. Rows of one transaction keep the order they
   * were asked for in. Every text field is escaped ({@link AuditText}) and clipped to its column
   * here, the one place rows are written. Not from another synchronization's {@code afterCommit}:
   * Spring still reports the committed transaction as active there and never runs what is
   * registered then; use a new transaction ({@code REQUIRES_NEW}), as {@code Recoveries} does.
   */
  public void append(AuditEvent event) {
    HttpServletRequest request = currentRequest();
    append(event, request == null ? "-" : request.getRemoteAddr());
    if (request != null && !AuditEvent.SUCCESS.equals(event.outcome())) {
      if (TransactionSynchronizationManager.isSynchronizationActive()) {
        // Only a committed row counts: a rolled-back one must not hide the refusal.
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
          @Override
          public void afterCommit() {
            request.setAttribute(RECORDED, Boolean.TRUE);
          }
        });
      } else {
        request.setAttribute(RECORDED, Boolean.TRUE);
      }
    }
  }

  /**
   * Appends one row for a request seen from outside the web layer, with its client address: in
   * the caller's transaction just before it commits, else at once (see {@link #append(AuditEvent)}).
   */
  void append(AuditEvent event, String remoteAddress) {
    if (TransactionSynchronizationManager.isActualTransactionActive()
        && TransactionSynchronizationManager.isSynchronizationActive()) {
      // Registered in order, run in that order (none of them is Ordered): the chain keeps the
      // transaction's own order of events.
      TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
        @Override
        public void beforeCommit(boolean readOnly) {
          write(event, remoteAddress);
        }
      });
      return;
    }
    tx.executeWithoutResult(status -> write(event, remoteAddress));
  }

  /** Writes one row now, in the caller's transaction: the head stays locked until it ends. */
  private void write(AuditEvent event, String remoteAddress) {
    Head head =
        jdbc.sql("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
            .query((rs, i) -> new Head(rs.getLong(1), rs.getString(2)))
            .single();
    long seq = head.seq() + 1;
    String at = Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString();
    String actor = field(event.actor(), MAX_ACTOR);
    String action = field(event.action(), MAX_ACTION);
    String target = field(event.target(), MAX_TARGET);
    String outcome = field(event.outcome(), 16);
    String detail = field(event.detail(), MAX_DETAIL);
    String remote = field(remoteAddress, MAX_REMOTE);
    String hash =
        AuditChain.hash(seq, at, actor, action, target, outcome, detail, remote,
            head.hash());
    jdbc.sql(
            "INSERT INTO audit_log (seq, occurred_at, actor, action, target, outcome,"
                + " detail, remote, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(seq, at, actor, action, target, outcome, detail, remote, head.hash(), hash)
        .update();
    jdbc.sql("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")
        .params(seq, hash)
        .update();
  }

  /** Rows after {@code afterSeq}, oldest first, at most {@code limit}. */
  public List<AuditRecord> list(long afterSeq, int limit) {
    return jdbc.sql("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
        .params(afterSeq, limit)
        .query(ROW)
        .list();
  }

  /** Rows with the newest last, the last {@code limit} of them. */
  public List<AuditRecord> tail(int limit) {
    List<AuditRecord> rows =
        new ArrayList<>(
            jdbc.sql("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?").param(limit).query(ROW)
                .list());
    Collections.reverse(rows);
    return rows;
  }

  /**
   * The newest successful row of {@code action} on exactly {@code target} (as stored, that is
   * escaped), if there is one: what was recorded when something was done, for a feature that
   * checks its own table against the chained log.
   */
  public Optional<AuditRecord> lastSuccess(String action, String target) {
    return jdbc.sql("SELECT * FROM audit_log WHERE action = ? AND target = ? AND outcome = ?"
            + " ORDER BY seq DESC LIMIT 1")
        .params(field(action, MAX_ACTION), field(target, MAX_TARGET), AuditEvent.SUCCESS)
        .query(ROW)
        .optional();
  }

  /** Streams every row in order to {@code sink}, in pages (constant memory). */
  public void forEach(Consumer<AuditRecord> sink) {
    long after = 0;
    while (true) {
      List<AuditRecord> page = list(after, 1000);
      page.forEach(sink);
      if (page.size() < 1000) {
        return;
      }
      after = page.get(page.size() - 1).seq();
    }
  }

  /** Recomputes the whole chain and compares it with the recorded head. */
  public AuditVerification verify() {
    AuditChain.Verifier v = new AuditChain.Verifier();
    // Rows are read in seq order in pages; a gap or a changed row is named by the verifier.
    long after = -1;
    while (true) {
      List<AuditRecord> page =
          jdbc.sql("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1000")
              .param(after)
              .query(ROW)
              .list();
      page.forEach(v::accept);
      if (page.size() < 1000) {
        break;
      }
      after = page.get(page.size() - 1).seq();
    }
    Head head =
        jdbc.sql("SELECT seq, hash FROM audit_head WHERE id = 1")
            .query((rs, i) -> new Head(rs.getLong(1), rs.getString(2)))
            .single();
    return v.finish(head.seq(), head.hash());
  }

  /** Number of rows. */
  public long count() {
    return jdbc.sql("SELECT COUNT(*) FROM audit_log").query(Long.class).single();
  }

  private record Head(long seq, String hash) {}

  private static HttpServletRequest currentRequest() {
    return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a
        ? a.getRequest() : null;
  }

  private static String field(String s, int max) {
    return clip(AuditText.escape(s), max);
  }

  /** Clips a field to its column, marking the cut, so an oversize value is kept, not refused. */
  static String clip(String s, int max) {
    if (s == null) {
      return "";
    }
    if (s.length() <= max) {
      return s;
    }
    int end = max - 3;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--; // never half a character
    }
    return s.substring(0, end) + "...";
  }
}
