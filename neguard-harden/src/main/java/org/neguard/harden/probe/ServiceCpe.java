package org.neguard.harden.probe;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.harden.ObservedPort;

/**
 * The product and version a service's banner reveals, as a CPE 2.3 name, so that a remote scan's
 * findings come through CPE matching (HRD-3). Only banners that name them unambiguously: the SSH
 * identification string (RFC 4253 §4.2, {@code SSH-2.0-softwareversion SP comments}) of OpenSSH
 * and Dropbear.
 *
 * <p>The CPE carries the upstream version ({@code 9.2p1}); a distribution's revision in the
 * comment ({@code Debian-2+deb12u3}) is not part of it, because no CPE dictionary entry names
 * it. So a remote match cannot see a fix Debian backported into that revision: the evidence says
 * so, and the host's package list decides for its packages.
 */
public final class ServiceCpe {
  /** {@code SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3}: protocol, software, version, comment. */
  private static final Pattern SSH = Pattern.compile(
      "SSH-(?:2\\.0|1\\.99)-(OpenSSH|dropbear)_([0-9][0-9A-Za-z.]{0,31})(?:[ \\r\\n].*)?",
      Pattern.DOTALL);

  private ServiceCpe() {}

  /** The CPE of an SSH identification string, if it names OpenSSH or Dropbear. */
  public static Optional<String> ofSshBanner(String banner) {
    Matcher m = SSH.matcher(banner);
    if (!m.matches()) {
      return Optional.empty();
    }
    String product = m.group(1).equals("OpenSSH") ? "openbsd:openssh"
        : "dropbear_ssh_project:dropbear_ssh";
    return Optional.of("cpe:2.3:a:" + product + ":" + m.group(2) + ":*:*:*:*:*:*:*");
  }

  /**
   * {@code port} with the CPE its identification evidence reveals (the scanner records an SSH
   * banner as {@code banner SSH-...}), or unchanged.
   */
  static ObservedPort identified(ObservedPort port) {
    if (!"ssh".equals(port.service()) || port.evidence() == null
        || !port.evidence().startsWith("banner ")) {
      return port;
    }
    return ofSshBanner(port.evidence().substring("banner ".length())).map(port::withCpe)
        .orElse(port);
  }
}
