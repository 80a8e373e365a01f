package org.neguard.cli.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.Output;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RoleKeys;
import org.neguard.tuf.RootMetadata;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Roots as files and as text: what a holder reads before signing, what init and rotate print. */
final class RepoText {
  /** The client's own limit for a root (ClientConfig's default). */
  static final long MAX_ROOT_BYTES = 512 << 10;

  /** The roles in the order people read them: the offline one first. */
  static final List<Role> ROLES = List.of(Role.ROOT, Role.TIMESTAMP, Role.SNAPSHOT, Role.TARGETS);

  private RepoText() {}

  /** A root metadata file as written by init, rotate or sign. */
  static Metadata readRoot(Path file) throws IOException, RefusalException {
    if (Files.size(file) > MAX_ROOT_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, file.toString(), file
          + " is larger than " + (MAX_ROOT_BYTES >> 10) + " KiB: not a root");
    }
    Metadata md = Metadata.parse(Files.readAllBytes(file), MAX_ROOT_BYTES);
    if (md.role() != Role.ROOT) {
      throw RefusalException.about(ReasonCode.MALFORMED, file.toString(),
          file + " is " + md.role().roleName() + " metadata, not a root");
    }
    return md;
  }

  /** The client's own limit for targets (ClientConfig's default). */
  static final long MAX_TARGETS_BYTES = org.neguard.tuf.ClientConfig.DEFAULT_MAX_TARGETS_BYTES;

  /** A targets file's bytes, refusing one above the client's limit before reading it. */
  static byte[] readTargetsFile(Path file) throws IOException, RefusalException {
    if (Files.size(file) > MAX_TARGETS_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, file.toString(), file
          + " is larger than " + (MAX_TARGETS_BYTES >> 20) + " MiB: not a targets file");
    }
    return Files.readAllBytes(file);
  }

  /** Targets metadata, refusing any other role. */
  static Metadata readTargets(byte[] bytes, String what) throws RefusalException {
    Metadata md = Metadata.parse(bytes, MAX_TARGETS_BYTES);
    if (md.role() != Role.TARGETS) {
      throw RefusalException.about(ReasonCode.MALFORMED, what,
          what + " is " + md.role().roleName() + " metadata, not targets");
    }
    md.targets(); // every entry readable, every name safe
    return md;
  }

  /** The targets, one line each, for a holder to read before signing. */
  static String describe(org.neguard.tuf.TargetsMetadata t) throws RefusalException {
    StringBuilder b = new StringBuilder();
    b.append("Targets version ").append(t.version()).append(", expires ").append(t.expires())
        .append(", ").append(t.targets().size()).append(t.targets().size() == 1 ? " target"
            : " targets");
    for (org.neguard.tuf.TargetFile f : new java.util.TreeMap<>(t.targets()).values()) {
      java.util.Optional<org.neguard.tuf.NeguardCustom> c = f.neguard();
      b.append(String.format("%n  %s  %s bytes  sha256 %s", f.name(), f.length(), f.sha256()));
      c.ifPresent(n -> b.append(String.format("  (%s %s, securityVersion %d, NE type %s)",
          n.name(), n.version(), n.securityVersion(), n.neType())));
    }
    return Output.printableLines(b.toString());
  }

  /** {@code --json} details of targets: version, expires, targets. */
  static Map<String, Object> details(org.neguard.tuf.TargetsMetadata t) throws RefusalException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", t.version());
    m.put("expires", t.expires().toString());
    List<Object> list = new ArrayList<>();
    for (org.neguard.tuf.TargetFile f : new java.util.TreeMap<>(t.targets()).values()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("name", f.name());
      o.put("length", f.length());
      o.put("sha256", f.sha256());
      java.util.Optional<org.neguard.tuf.NeguardCustom> c = f.neguard();
      if (c.isPresent()) {
        o.put("version", c.get().version());
        o.put("securityVersion", c.get().securityVersion());
        o.put("neType", c.get().neType());
      }
      list.add(o);
    }
    m.put("targets", list);
    return m;
  }

  /** The root's roles and keys, one line each, for a holder to read before signing. */
  static String describe(RootMetadata root) {
    StringBuilder b = new StringBuilder();
    b.append("Root version ").append(root.version()).append(", expires ")
        .append(root.expires()).append('\n');
    for (Role r : ROLES) {
      RoleKeys rk = root.role(r);
      b.append(String.format("  %-10s %d of %d: %s%n", r.roleName(), rk.threshold(),
          rk.keyids().size(), String.join(", ", rk.keyids())));
    }
    return Output.printableLines(b.toString().stripTrailing());
  }

  /** The same, for {@code --json}: {@code {role: {threshold, keyids}}}. */
  static Map<String, Object> roles(RootMetadata root) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Role r : ROLES) {
      RoleKeys rk = root.role(r);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("threshold", rk.threshold());
      o.put("keyids", new ArrayList<>(rk.keyids()));
      m.put(r.roleName(), o);
    }
    return m;
  }

  /** {@code --json} details of a root: version, expires, roles. */
  static Map<String, Object> details(RootMetadata root) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", root.version());
    m.put("expires", root.expires().toString());
    m.put("roles", roles(root));
    return m;
  }
}
