package org.neguard.sign;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The trust anchors a verifier accepts signers from, the vendors each anchor speaks for, and the
 * CRLs it checks signers against.
 *
 * <p>Vendor binding (docs/FORMAT.md, "Vendor binding"): a bound anchor speaks for exactly the
 * vendor names it is bound to. An unbound anchor speaks for every vendor only while it is the one
 * and only anchor, so single-vendor use needs no binding; as soon as there are several anchors,
 * an unbound one speaks for none, because nothing would keep one vendor's CA from signing in
 * another's name.
 *
 * @param anchors root (or pinned intermediate) CA certificates; never empty
 * @param crls revocation lists; when not empty, every certificate on a signer's path must be
 *     covered by a current CRL from its issuer (fail closed)
 * @param vendors the explicit bindings: anchor to the vendor names it speaks for; each key is one
 *     of {@code anchors}, each set non-empty
 */
public record TrustStore(
    List<X509Certificate> anchors, List<X509CRL> crls, Map<X509Certificate, Set<String>> vendors) {
  /** The longest vendor name, as in the manifest. */
  public static final int MAX_VENDOR = 256;

  public TrustStore {
    anchors = List.copyOf(anchors);
    crls = List.copyOf(crls);
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("anchors is empty");
    }
    Map<X509Certificate, Set<String>> copy = new LinkedHashMap<>();
    for (Map.Entry<X509Certificate, Set<String>> e : vendors.entrySet()) {
      if (!anchors.contains(e.getKey())) {
        throw new IllegalArgumentException("vendors binds '" + Certificates.subject(e.getKey())
            + "', which is not one of the anchors");
      }
      if (e.getValue().isEmpty()) {
        throw new IllegalArgumentException("vendors binds '" + Certificates.subject(e.getKey())
            + "' to no vendor");
      }
      e.getValue().forEach(TrustStore::checkVendorName);
      copy.put(e.getKey(), Collections.unmodifiableSet(new TreeSet<>(e.getValue())));
    }
    vendors = Collections.unmodifiableMap(copy);
  }

  /** Anchors without vendor bindings (a single-vendor configuration). */
  public TrustStore(List<X509Certificate> anchors, List<X509CRL> crls) {
    this(anchors, crls, Map.of());
  }

  /**
   * Whether {@code anchor} speaks for {@code vendor}: it is bound to exactly that name, or it is
   * unbound and the only anchor.
   */
  public boolean speaksFor(X509Certificate anchor, String vendor) {
    Set<String> bound = vendors.get(anchor);
    if (bound != null) {
      return bound.contains(vendor);
    }
    return new HashSet<>(anchors).size() == 1;
  }

  /** What {@code anchor} speaks for, in words, for messages and the server's trust listing. */
  public String describeBinding(X509Certificate anchor) {
    Set<String> bound = vendors.get(anchor);
    if (bound != null) {
      return "vendor " + String.join(", ", bound.stream().map(v -> "'" + v + "'").toList());
    }
    return new HashSet<>(anchors).size() == 1
        ? "any vendor (the only anchor, not bound to a vendor)"
        : "no vendor (not bound to a vendor, and not the only anchor)";
  }

  /**
   * One {@code --trust} argument: a PEM/DER file or directory, optionally bound to a vendor.
   *
   * @param path certificate file or directory of them
   * @param vendor the vendor name the anchors in it speak for, or null for unbound
   */
  public record AnchorFile(Path path, String vendor) {
    public AnchorFile {
      Objects.requireNonNull(path, "path");
      if (vendor != null) {
        checkVendorName(vendor);
      }
    }

    /**
     * Parses {@code VENDOR=PATH} or {@code PATH}. An argument naming an existing file is a path
     * even if it contains '='; otherwise the vendor is everything before the first '='.
     *
     * @throws IllegalArgumentException naming the argument, when the vendor or path is empty
     */
    public static AnchorFile parse(String arg) {
      Objects.requireNonNull(arg, "arg");
      int eq = arg.indexOf('=');
      if (eq < 0 || Files.exists(Path.of(arg))) {
        return new AnchorFile(Path.of(arg), null);
      }
      String vendor = arg.substring(0, eq);
      String file = arg.substring(eq + 1);
      if (file.isEmpty()) {
        throw new IllegalArgumentException("--trust '" + arg + "' names no file after '='"
            + " (expected VENDOR=CA.pem)");
      }
      try {
        return new AnchorFile(Path.of(file), vendor);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--trust '" + arg + "': " + e.getMessage(), e);
      }
    }
  }

  /**
   * Loads anchors from PEM/DER files or directories of them ({@code *.pem}, {@code *.crt},
   * {@code *.cer}, {@code *.der}), none bound to a vendor, and CRLs from PEM/DER files.
   *
   * @throws IOException if a file cannot be read
   * @throws RefusalException {@code TRUST_CONFIG} if no anchor is found or a file is unreadable
   */
  public static TrustStore load(List<Path> anchorPaths, List<Path> crlPaths)
      throws IOException, RefusalException {
    return loadBound(anchorPaths.stream().map(p -> new AnchorFile(p, null)).toList(), crlPaths);
  }

  /**
   * Loads anchors as {@link #load} does, each file's certificates bound to its vendor (if any).
   * A certificate given several times speaks for the union of its bindings.
   */
  public static TrustStore loadBound(List<AnchorFile> anchorFiles, List<Path> crlPaths)
      throws IOException, RefusalException {
    List<X509Certificate> anchors = new ArrayList<>();
    Map<X509Certificate, Set<String>> vendors = new LinkedHashMap<>();
    try {
      for (AnchorFile a : anchorFiles) {
        List<X509Certificate> certs = read(a.path());
        anchors.addAll(certs);
        if (a.vendor() != null) {
          for (X509Certificate c : certs) {
            vendors.computeIfAbsent(c, k -> new LinkedHashSet<>()).add(a.vendor());
          }
        }
      }
      List<X509CRL> crls = new ArrayList<>();
      for (Path p : crlPaths) {
        crls.addAll(Certificates.readCrls(p));
      }
      if (anchors.isEmpty()) {
        throw new RefusalException(
            ReasonCode.TRUST_CONFIG, "no trust anchor found in "
                + anchorFiles.stream().map(AnchorFile::path).toList());
      }
      return new TrustStore(anchors, crls, vendors);
    } catch (RefusalException e) {
      if (e.code() == ReasonCode.TRUST_CONFIG) {
        throw e;
      }
      throw new RefusalException(ReasonCode.TRUST_CONFIG, e.reasons().get(0).message(), e);
    }
  }

  private static List<X509Certificate> read(Path p) throws IOException, RefusalException {
    if (!Files.isDirectory(p)) {
      return Certificates.read(p);
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(p, "*.{pem,crt,cer,der}")) {
      dir.forEach(files::add);
    }
    files.sort(null);
    List<X509Certificate> certs = new ArrayList<>();
    for (Path f : files) {
      certs.addAll(Certificates.read(f));
    }
    return certs;
  }

  private static void checkVendorName(String vendor) {
    if (vendor == null || vendor.isBlank() || vendor.length() > MAX_VENDOR) {
      throw new IllegalArgumentException("vendor name '" + vendor + "' is blank or longer than "
          + MAX_VENDOR + " characters");
    }
  }
}
