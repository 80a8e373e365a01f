package org.neguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * An rpm distribution's advisory and the NE images it is tested on (issue 16, HRD-3): AlmaLinux's
 * OSV record ALSA-2023:0946 (openssl, fixed in {@code 1:3.0.1-47.el9_1}; where it comes from:
 * {@code osv-rpm/SOURCES.md} beside this class), and real rpm databases built with {@link
 * RpmDatabase} whose packages sit on either side of the fix by release and by epoch; Red Hat's
 * RHSA-2023:0946 for the same fix, by product stream.
 */
public final class RpmAdvisories {
  public static final String ADVISORY = "ALSA-2023:0946";
  public static final String FIXED = "1:3.0.1-47.el9_1";

  /**
   * An NE before the fix by release ({@code openssl-devel 1:3.0.1-43.el9_0}, built from the
   * source rpm {@code openssl}) with {@code openssl-perl} at the fixed version itself.
   */
  public static final List<RpmDatabase.Spec> BY_RELEASE = List.of(
      new RpmDatabase.Spec("openssl", 1, "3.0.1", "43.el9_0", null, List.of("openssl-devel")),
      new RpmDatabase.Spec("openssl-perl", 1, "3.0.1", "47.el9_1", null, List.of()));

  /**
   * An NE before the fix by epoch only: {@code openssl-devel 3.0.7-27.el9} has a higher version
   * than the fix but no epoch (0 &lt; 1); {@code openssl-perl 2:1.0-1.el9} a lower version but a
   * higher epoch, so it is fixed.
   */
  public static final List<RpmDatabase.Spec> BY_EPOCH = List.of(
      new RpmDatabase.Spec("openssl", null, "3.0.7", "27.el9", null, List.of("openssl-devel")),
      new RpmDatabase.Spec("openssl-perl", 2, "1.0", "1.el9", null, List.of()));

  /**
   * Red Hat's advisory for the same fix, RHSA-2023:0946, in the shape of Red Hat's OSV records
   * (by product stream: {@code Red Hat:enterprise_linux:9::appstream} and {@code ::baseos};
   * {@code osv-rpm/SOURCES.md}).
   */
  public static final String RHSA = "RHSA-2023:0946";

  private RpmAdvisories() {}

  /** The openSUSE Leap release {@link #openSuseRecord} is about, and its fixed version. */
  public static final String LEAP = "openSUSE:Leap 15.5";
  public static final String LEAP_FIXED = "3.0.8-150500.5.20.1";

  /**
   * An NE of openSUSE Leap 15.5 below {@link #LEAP_FIXED}: the source rpm {@code openssl-3}
   * built into {@code openssl-3} and {@code libopenssl3}, as SUSE names them.
   */
  public static final List<RpmDatabase.Spec> LEAP_BELOW = List.of(
      new RpmDatabase.Spec("openssl-3", null, "3.0.8", "150500.5.8.1", null,
          List.of("libopenssl3")));

  /**
   * A record written for the tests, not a published one, in the shape the OSV schema's {@code
   * ecosystems.json} gives openSUSE's: the ecosystem {@code openSUSE:} and the release as
   * os-release's {@code PRETTY_NAME} has it less the vendor, the {@code name} the source rpm
   * with a {@code purl}, the binaries in {@code ecosystem_specific}, {@code introduced} and
   * {@code fixed} in rpm's order; a second entry for Leap 15.4 that a 15.5 NE must not match.
   */
  public static String openSuseRecord(Instant modified) {
    String entry = "{\"package\":{\"ecosystem\":\"%s\",\"name\":\"openssl-3\",\"purl\":"
        + "\"pkg:rpm/opensuse/openssl-3?distro=%s\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        + "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"%s\"}]}],\"ecosystem_specific\":"
        + "{\"binaries\":[{\"libopenssl3\":\"%3$s\",\"openssl-3\":\"%3$s\"}]}}";
    return "{\"id\":\"NEGUARD-TEST-SUSE-1\",\"summary\":\"written for NEGuard's tests\","
        + "\"modified\":\"" + modified + "\",\"aliases\":[\"CVE-2099-0002\"],\"affected\":["
        + String.format(entry, LEAP, "opensuse-leap-15.5", LEAP_FIXED) + ","
        + String.format(entry, "openSUSE:Leap 15.4", "opensuse-leap-15.4", "9:9.9-1.1") + "]}";
  }

  /** A feed directory {@code dir/name} holding {@link #openSuseRecord}. */
  public static Path openSuseFeed(Path dir, String name, Instant modified) throws IOException {
    return feedOf(dir.resolve(name), "NEGUARD-TEST-SUSE-1.json", openSuseRecord(modified));
  }

  /** RHSA-2023:0946's JSON (SOURCES.md), modified at {@code modified}. */
  public static String redHatRecord(Instant modified) throws IOException {
    return resource("RHSA-2023-0946.json", modified);
  }

  /** A feed directory {@code dir/name} holding RHSA-2023:0946, modified at {@code modified}. */
  public static Path redHatFeed(Path dir, String name, Instant modified) throws IOException {
    return feedOf(dir.resolve(name), "RHSA-2023-0946.json", redHatRecord(modified));
  }

  /** The record's JSON as published (less the parts SOURCES.md names), modified at {@code t}. */
  public static String record(Instant modified) throws IOException {
    return resource("ALSA-2023-0946.json", modified);
  }

  /** Both records were last modified at the same time: the day the fix was published. */
  private static String resource(String file, Instant modified) throws IOException {
    try (InputStream in = RpmAdvisories.class.getResourceAsStream("osv-rpm/" + file)) {
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return json.replace("\"modified\": \"2023-02-28T19:45:58Z\"", "\"modified\": \""
          + modified + "\"");
    }
  }

  /** A feed directory {@code dir/name} holding the record, modified at {@code modified}. */
  public static Path feed(Path dir, String name, Instant modified) throws IOException {
    return feedOf(dir.resolve(name), "ALSA-2023-0946.json", record(modified));
  }

  /** A feed directory {@code feed} holding one record, {@code json}, as {@code file}. */
  private static Path feedOf(Path feed, String file, String json) throws IOException {
    Files.writeString(Files.createDirectories(feed).resolve(file), json);
    return feed;
  }

  /** An os-release file in {@code dir} naming {@code id} and {@code versionId}. */
  public static Path osRelease(Path dir, String id, String versionId) throws IOException {
    return Files.writeString(Files.createDirectories(dir).resolve("os-release"), "NAME=\""
        + id + "\"\nID=\"" + id + "\"\nVERSION_ID=\"" + versionId + "\"\n");
  }
}
