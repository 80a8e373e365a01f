package org.neguard.server.drift;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.measure.Sha256;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The hardening policies per NE type (HRD-1, HRD-2, HRD-5): each upload is parsed and checked by
 * the same {@link PolicyParser} as {@code neguard harden check}, then stored as the next version;
 * older versions stay. A refused document stores nothing and leaves a failure row; every stored
 * one a success row with its version and SHA-256. Thread-safe.
 */
@Component
public final class HardeningPolicies {
  /** The largest policy document accepted: PolicyParser's own limit. */
  static final int MAX_BYTES = 1 << 20;
  private static final Pattern NE_TYPE = Pattern.compile("[A-Za-z0-9._+-]{1,128}");

  /** A stored version, parsed. */
  record Stored(String neType, int version, String sha256, Policy policy) {}

  private final JdbcClient jdbc;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  /** Versions never change: a parsed one is kept. */
  private final Map<String, Policy> parsed = new ConcurrentHashMap<>();

  HardeningPolicies(JdbcClient jdbc, AuditLog audit, PlatformTransactionManager transactions) {
    this.jdbc = jdbc;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
  }

  static String checkNeType(String neType) {
    if (neType == null || !NE_TYPE.matcher(neType).matches()) {
      throw ApiException.badInput("NE type is not [A-Za-z0-9._+-]{1,128}: " + neType);
    }
    return neType;
  }

  /** Parses, checks and stores {@code yaml} as the next version of {@code neType}'s policy. */
  HardeningPolicyInfo upload(String actor, String neType, byte[] yaml) {
    String target = "hardening policy " + neType;
    try {
      checkNeType(neType);
      if (yaml.length > MAX_BYTES) {
        throw ApiException.of(ReasonCode.SIZE_LIMIT,
            "a hardening policy may have at most " + MAX_BYTES + " bytes");
      }
      Policy policy;
      try {
        policy = PolicyParser.parse(yaml, "upload");
      } catch (RefusalException e) {
        throw ApiException.badRequest(e);
      }
      if (!policy.neType().equals(neType)) {
        throw ApiException.badInput("the policy is for NE type '" + policy.neType()
            + "', not '" + neType + "': upload it with --ne-type " + policy.neType()
            + " or correct its neType");
      }
      String sha = Sha256.hex(yaml);
      Instant now = Instant.now();
      int version = tx.execute(s -> {
        int next = jdbc.sql("SELECT COALESCE(MAX(version), 0) FROM hardening_policies"
            + " WHERE ne_type = ?").param(neType).query(Integer.class).single() + 1;
        jdbc.sql("INSERT INTO hardening_policies (ne_type, version, content, sha256,"
                + " uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?)")
            .params(neType, next, yaml, sha, actor, utc(now)).update();
        audit.append(AuditEvent.success(actor, "POLICY_UPLOAD", target,
            "version " + next + "; sha256 " + sha + "; " + policy.allowed().size()
                + " declared port(s), " + policy.extensions().size() + " forbidden rule(s) added, "
                + policy.waivers().size() + " waiver(s)"));
        return next;
      });
      return info(neType, version, sha, actor, now, yaml, policy, true, false);
    } catch (DuplicateKeyException e) {
      ApiException conflict = ApiException.of(ReasonCode.CONFLICT, "another policy of NE type "
          + neType + " was uploaded at the same time: upload again");
      audit.append(AuditEvent.failure(actor, "POLICY_UPLOAD", target, conflict.getMessage()));
      throw conflict;
    } catch (ApiException e) {
      audit.append(AuditEvent.failure(actor, "POLICY_UPLOAD", target, e.getMessage()));
      throw e;
    }
  }

  /** Every version of every NE type, by type, newest version first; without content. */
  public List<HardeningPolicyInfo> list() {
    record Row(String neType, int version, String sha256, String by, Instant at, byte[] content) {}
    List<Row> rows = jdbc.sql("SELECT ne_type, version, sha256, uploaded_by, uploaded_at,"
            + " content FROM hardening_policies ORDER BY ne_type, version DESC")
        .query((rs, i) -> new Row(rs.getString(1), rs.getInt(2), rs.getString(3),
            rs.getString(4), rs.getObject(5, OffsetDateTime.class).toInstant(), rs.getBytes(6)))
        .list();
    String previousType = null;
    List<HardeningPolicyInfo> out = new java.util.ArrayList<>();
    for (Row r : rows) {
      boolean current = !r.neType().equals(previousType);
      previousType = r.neType();
      out.add(info(r.neType(), r.version(), r.sha256(), r.by(), r.at(), r.content(),
          parse(r.neType(), r.version(), r.content()), current, true));
    }
    return out;
  }

  /** One version (null: the current one), with its content. */
  HardeningPolicyInfo show(String neType, Integer version) {
    checkNeType(neType);
    if (version != null && version < 1) {
      throw ApiException.badInput("version must be 1 or more: " + version);
    }
    int newest = newest(neType).orElseThrow(() -> ApiException.notFound(
        "no hardening policy for NE type " + neType + ": upload one with 'neguard policy upload"
            + " --ne-type " + neType + " FILE'"));
    int v = version == null ? newest : version;
    record Row(String sha256, String by, Instant at, byte[] content) {}
    Row r = jdbc.sql("SELECT sha256, uploaded_by, uploaded_at, content FROM hardening_policies"
            + " WHERE ne_type = ? AND version = ?").params(neType, v)
        .query((rs, i) -> new Row(rs.getString(1), rs.getString(2),
            rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getBytes(4)))
        .optional().orElseThrow(() -> ApiException.notFound("NE type " + neType
            + " has no policy version " + v + " (the newest is " + newest + ")"));
    return info(neType, v, r.sha256(), r.by(), r.at(), r.content(),
        parse(neType, v, r.content()), v == newest, false);
  }

  /** The policy in force for {@code neType}, if one was uploaded. */
  Optional<Stored> current(String neType) {
    record Row(int version, String sha256, byte[] content) {}
    return jdbc.sql("SELECT version, sha256, content FROM hardening_policies WHERE ne_type = ?"
            + " ORDER BY version DESC LIMIT 1").param(neType)
        .query((rs, i) -> new Row(rs.getInt(1), rs.getString(2), rs.getBytes(3)))
        .optional()
        .map(r -> new Stored(neType, r.version(), r.sha256(),
            parse(neType, r.version(), r.content())));
  }

  private Optional<Integer> newest(String neType) {
    return jdbc.sql("SELECT MAX(version) FROM hardening_policies WHERE ne_type = ?")
        .param(neType).query((rs, i) -> (Integer) rs.getObject(1)).optional()
        .filter(java.util.Objects::nonNull);
  }

  private Policy parse(String neType, int version, byte[] content) {
    return parsed.computeIfAbsent(neType + "\n" + version, k -> {
      try {
        return PolicyParser.parse(content, "hardening policy " + neType + " version " + version);
      } catch (RefusalException e) {
        // Stored only after the same parser accepted it: a failure now is a changed parser.
        throw new IllegalStateException("stored policy " + neType + " v" + version
            + " no longer parses: " + e.getMessage(), e);
      }
    });
  }

  private static HardeningPolicyInfo info(String neType, int version, String sha, String by,
      Instant at, byte[] content, Policy policy, boolean current, boolean listing) {
    List<String> declared = policy.allowed().stream().map(HardeningPolicies::declared).toList();
    return new HardeningPolicyInfo(neType, version, sha, by, at.toString(),
        policy.description(), declared, current,
        listing ? null : new String(content, java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String declared(AllowedPort a) {
    return a.key() + " " + a.service();
  }

  static OffsetDateTime utc(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
