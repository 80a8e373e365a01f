package org.neguard.server.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.neguard.attest.Evidence;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.server.attest.PlatformValidation;
import org.neguard.server.attest.Pve;
import org.neguard.server.web.ApiException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.function.SingletonSupplier;

/**
 * The deployments' side of the platform validation entity (ATT-1, ATT-2, ATT-4): which {@link
 * PlatformValidation} they ask, a savepoint around each question, and the stored form of an
 * expectation (ATT-2). Thread-safe.
 */
@Component
final class DeployValidation {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectProvider<PlatformValidation> provider;
  private final TransactionTemplate savepoint;
  /** Set by engine tests only, to a collaborator standing in for the validation entity. */
  private volatile PlatformValidation replacement;

  /** The server's own entity, resolved once (a provider's lookup walks the bean factory). */
  private final Supplier<PlatformValidation> own;

  DeployValidation(ObjectProvider<PlatformValidation> provider,
      PlatformTransactionManager transactions) {
    this.provider = provider;
    this.own = SingletonSupplier.of(provider::getIfAvailable);
    this.savepoint = new TransactionTemplate(transactions);
    savepoint.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
  }

  /**
   * The validation entity. A server without one orders no update: the round fails (fail closed)
   * rather than issue orders no attestation guards.
   */
  PlatformValidation pv() {
    PlatformValidation r = replacement;
    if (r != null) {
      return r;
    }
    PlatformValidation v = own.get();
    if (v == null) {
      throw new IllegalStateException("no platform validation entity in this server: no order"
          + " is issued without one (ATT-1)");
    }
    return v;
  }

  /**
   * Whether the challenges are the server's own entity's, in its database ({@link Pve}), so
   * that a statement may read them ({@link Pve#FIRST_OPEN_CHALLENGE}); not a stand-in's.
   */
  boolean challengesInDatabase() {
    return replacement == null && own.get() instanceof Pve;
  }

  /** Engine tests: answer with {@code v} instead (null: the server's own again). */
  void replace(PlatformValidation v) {
    replacement = v;
  }

  /**
   * Runs {@code question} inside a savepoint of the caller's transaction: a refusal it throws
   * (an {@link ApiException} such as NO_REFERENCE) undoes only its own work and does not leave
   * the caller's transaction marked rollback-only.
   */
  <T> T ask(Supplier<T> question) {
    Object[] out = new Object[1];
    ApiException[] refused = new ApiException[1];
    savepoint.executeWithoutResult(s -> {
      try {
        out[0] = question.get();
      } catch (ApiException e) {
        refused[0] = e;
        s.setRollbackOnly();
      }
    });
    if (refused[0] != null) {
      throw refused[0];
    }
    @SuppressWarnings("unchecked")
    T t = (T) out[0];
    return t;
  }

  /**
   * The expected components as stored in {@code deployment_targets.expected_components}: the
   * evidence's component shape (docs/MEASUREMENT.md, "Evidence"): name, reference, digest and
   * files (path, sha256, mode as four octal digits), no files for a component whose files the
   * server does not hold (a committed reference is its digest alone).
   */
  static byte[] encode(List<Evidence.Component> components) {
    ArrayNode cs = JSON.createArrayNode();
    for (Evidence.Component c : components) {
      ObjectNode o = cs.addObject();
      o.put("name", c.name());
      o.put("reference", c.reference().name());
      o.put("digest", c.digest());
      if (!c.filesReported()) {
        continue; // its digest alone, as in evidence: no files array
      }
      ArrayNode files = o.putArray("files");
      for (TreeDigest.Leaf l : c.leaves()) {
        files.addObject().put("path", l.path()).put("sha256", l.sha256())
            .put("mode", TreeDigest.formatMode(l.mode()));
      }
    }
    try {
      return JSON.writeValueAsBytes(cs);
    } catch (IOException e) {
      throw new UncheckedIOException("a component list always serializes", e);
    }
  }

  /** The components {@link #encode} stored. */
  static List<Evidence.Component> decode(byte[] json) {
    try {
      List<Evidence.Component> out = new ArrayList<>();
      for (JsonNode c : JSON.readTree(json)) {
        List<TreeDigest.Leaf> leaves = new ArrayList<>();
        for (JsonNode f : c.path("files")) {
          leaves.add(new TreeDigest.Leaf(f.path("path").asText(), f.path("sha256").asText(),
              Integer.parseInt(f.path("mode").asText(), 8)));
        }
        out.add(new Evidence.Component(c.path("name").asText(),
            PlatformTim.Reference.valueOf(c.path("reference").asText()),
            c.path("digest").asText(), leaves, c.has("files")));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("stored expected components are not JSON", e);
    }
  }
}
