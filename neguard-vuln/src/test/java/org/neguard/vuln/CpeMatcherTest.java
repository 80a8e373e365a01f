package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.neguard.vuln.CpeMatcher.Match;
import org.neguard.vuln.CpeMatcher.Status;
import org.neguard.vuln.NvdCve.Configuration;
import org.neguard.vuln.NvdCve.Node;
import org.neguard.vuln.NvdCve.Operator;

/**
 * NVD records against product CPEs: the real OpenSSH CVEs of the fixture feed against the
 * versions around their bounds, and synthetic records for the cases no short real one shows
 * (AND with a platform, negation, no configurations).
 */
class CpeMatcherTest {
  static Map<String, NvdCve> feed;

  @BeforeAll
  static void readFeed() throws Exception {
    List<NvdCve> all = new ArrayList<>();
    try (InputStream in = CpeMatcherTest.class.getResourceAsStream("nvd/openssh-feed.json")) {
      NvdReader.read(in, "openssh-feed.json", all::add);
    }
    feed = all.stream().collect(Collectors.toMap(NvdCve::id, Function.identity()));
  }

  static Match match(String cve, String product) throws Exception {
    return CpeMatcher.affects(feed.get(cve), Cpe.parse(product));
  }

  static CpeRange range(String cpe, String start, String end, boolean vulnerable)
      throws Exception {
    return new CpeRange(Cpe.parse(cpe), Optional.ofNullable(start), Optional.empty(),
        Optional.empty(), Optional.ofNullable(end), vulnerable);
  }

  @ParameterizedTest(name = "{0} openssh {1}: {2}")
  @CsvSource({
      "CVE-2024-6387, 9.2p1, AFFECTED",      // Debian 12's upstream version
      "CVE-2024-6387, 8.5p1, AFFECTED",      // the first affected since the regression
      "CVE-2024-6387, 8.4p1, NOT_AFFECTED",
      "CVE-2024-6387, 9.7p1, AFFECTED",
      "CVE-2024-6387, 9.8p1, NOT_AFFECTED",  // the fix: 9.8p1 is above the bound 9.8
      "CVE-2024-6387, 9.10p1, NOT_AFFECTED", // hypothetical: a text compare puts 9.10 < 9.8
      "CVE-2024-6387, 10.0p2, NOT_AFFECTED",
      "CVE-2024-6387, 4.3p2, AFFECTED",      // before the 2006 fix (CVE-2006-5051)
      "CVE-2024-6387, 4.4p1, NOT_AFFECTED",
      "CVE-2023-38408, 9.3p1, AFFECTED",     // the 9.3:p1 entry
      "CVE-2023-38408, 9.3, AFFECTED",       // the 9.3:- entry (OpenBSD's own release)
      "CVE-2023-38408, 9.3p2, NOT_AFFECTED", // the fix
      "CVE-2023-38408, 9.2p1, AFFECTED",     // the range before 9.3
      "CVE-2023-38408, 9.4p1, NOT_AFFECTED",
      "CVE-2016-0777, 7.1p1, AFFECTED",
      "CVE-2016-0777, 7.1p2, NOT_AFFECTED",
      "CVE-2016-0777, 4.9p1, NOT_AFFECTED"})
  @DisplayName("HRD-3 an nmap-identified OpenSSH (cpe:/a:openbsd:openssh:VERSION) against real"
      + " CVEs' NVD ranges, at and around each bound")
  void nmapCpe_againstRealRanges(String cve, String version, Status expected) throws Exception {
    Match m = match(cve, "cpe:/a:openbsd:openssh:" + version);
    assertThat(m.status()).as(m.reason()).isEqualTo(expected);
    if (expected == Status.AFFECTED) {
      assertThat(m.fullyAssessed()).isTrue();
      assertThat(m.matched()).isPresent();
      assertThat(m.reason()).startsWith(cve);
    }
  }

  @Test
  @DisplayName("HRD-3 NVD's spelling (version 9.3, update p1) and nmap's (9.3p1) are one version;"
      + " an NA update (9.3:-) is not 9.3p2")
  void versionPlusUpdate_oneVersion() throws Exception {
    assertThat(match("CVE-2023-38408", "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*")
        .affected()).isTrue();
    assertThat(match("CVE-2023-38408", "cpe:2.3:a:openbsd:openssh:9.3:p2:*:*:*:*:*:*")
        .status()).isEqualTo(Status.NOT_AFFECTED);
    assertThat(match("CVE-2024-6387", "cpe:2.3:a:openbsd:openssh:9.8:p1:*:*:*:*:*:*")
        .status()).isEqualTo(Status.NOT_AFFECTED);
    assertThat(match("CVE-2024-6387", "cpe:2.3:a:openbsd:openssh:9.7:p1:*:*:*:*:*:*")
        .affected()).isTrue();
  }

  @Test
  @DisplayName("HRD-3 another vendor, product or part is not affected")
  void otherProduct_notAffected() throws Exception {
    assertThat(match("CVE-2024-6387", "cpe:/a:openbsd:openbgpd:9.2").status())
        .isEqualTo(Status.NOT_AFFECTED);
    assertThat(match("CVE-2024-6387", "cpe:/a:dropbear_ssh_project:dropbear_ssh:2022.83")
        .status()).isEqualTo(Status.NOT_AFFECTED);
    assertThat(match("CVE-2024-6387", "cpe:/o:openbsd:openssh:9.2p1").status())
        .isEqualTo(Status.NOT_AFFECTED);
  }

  @Test
  @DisplayName("HRD-3 never a silent pass: a product without a version, a version that cannot be"
      + " ordered, a product CPE without vendor are 'not assessed'")
  void doubt_notAssessed() throws Exception {
    Match noVersion = match("CVE-2024-6387", "cpe:/a:openbsd:openssh");
    assertThat(noVersion.status()).isEqualTo(Status.NOT_ASSESSED);
    assertThat(noVersion.fullyAssessed()).isFalse();
    assertThat(noVersion.reason()).contains("gives no version");
    Match odd = match("CVE-2024-6387", "cpe:/a:openbsd:openssh:9.2p1~beta");
    assertThat(odd.status()).isEqualTo(Status.NOT_ASSESSED);
    assertThat(odd.reason()).contains("cannot be ordered");
    assertThat(match("CVE-2024-6387", "cpe:/a::openssh:9.2p1").status())
        .isEqualTo(Status.NOT_ASSESSED);
    assertThat(match("CVE-2024-6387", "cpe:2.3:a:openbsd:openssh:9.*:*:*:*:*:*:*:*").status())
        .as("a pattern is not a product").isEqualTo(Status.NOT_ASSESSED);
  }

  @Test
  @DisplayName("HRD-3 a bound that cannot be ordered makes the entry 'not assessed', and another"
      + " entry that affects the product still wins")
  void unorderableBound_notAssessed() throws Exception {
    CpeRange odd = range("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", null, "9.8~final", true);
    NvdCve cve = new NvdCve("CVE-2099-0001", Instant.EPOCH, "synthetic", List.of(),
        List.of(odd));
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/a:openbsd:openssh:9.2p1")).status())
        .isEqualTo(Status.NOT_ASSESSED);
    NvdCve both = new NvdCve("CVE-2099-0002", Instant.EPOCH, "synthetic", List.of(),
        List.of(odd, range("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", "9.0", "9.5", true)));
    assertThat(CpeMatcher.affects(both, Cpe.parse("cpe:/a:openbsd:openssh:9.2p1")).status())
        .isEqualTo(Status.AFFECTED);
  }

  @Test
  @DisplayName("HRD-3 an AND configuration (application running on a platform) is evaluated as"
      + " running on: affected, not fully assessed, saying so; the platform itself is not"
      + " made vulnerable")
  void andPlatform_runningOn_notFullyAssessed() throws Exception {
    // Synthetic, in the shape NVD uses for "X running on Y": a vulnerable application node AND
    // a platform node whose entries are vulnerable: false.
    Node app = new Node(Operator.OR, false, List.of(range(
        "cpe:2.3:a:example:agentd:*:*:*:*:*:*:*:*", "2.0", "2.4.1", true)));
    Node platform = new Node(Operator.OR, false, List.of(range(
        "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", null, null, false)));
    List<Configuration> tree = List.of(new Configuration(Operator.AND, false,
        List.of(app, platform)));
    NvdCve cve = new NvdCve("CVE-2099-0003", Instant.EPOCH, "synthetic", List.of(),
        List.of(app.cpeMatch().get(0), platform.cpeMatch().get(0)), tree);
    Match m = CpeMatcher.affects(cve, Cpe.parse("cpe:/a:example:agentd:2.3"));
    assertThat(m.status()).isEqualTo(Status.AFFECTED);
    assertThat(m.fullyAssessed()).isFalse();
    assertThat(m.reason()).contains("platform").contains("not fully assessed");
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/a:example:agentd:2.4.1")).status())
        .isEqualTo(Status.NOT_AFFECTED);
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/o:linux:linux_kernel:-")).status())
        .as("a vulnerable: false entry names a platform, which is not vulnerable by it")
        .isEqualTo(Status.NOT_AFFECTED);
  }

  @Test
  @DisplayName("HRD-3 a negated node naming the product, and a record NVD has not analysed (no"
      + " configurations), are 'not assessed'")
  void negatedAndUnanalysed_notAssessed() throws Exception {
    CpeRange r = range("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", "8.5", "9.8", true);
    NvdCve negated = new NvdCve("CVE-2099-0004", Instant.EPOCH, "synthetic", List.of(),
        List.of(r), List.of(new Configuration(Operator.OR, false,
            List.of(new Node(Operator.OR, true, List.of(r))))));
    assertThat(CpeMatcher.affects(negated, Cpe.parse("cpe:/a:openbsd:openssh:9.2p1")).status())
        .isEqualTo(Status.NOT_ASSESSED);
    NvdCve unanalysed = new NvdCve("CVE-2099-0005", Instant.EPOCH, "awaiting analysis",
        List.of(), List.of());
    Match m = CpeMatcher.affects(unanalysed, Cpe.parse("cpe:/a:openbsd:openssh:9.2p1"));
    assertThat(m.status()).isEqualTo(Status.NOT_ASSESSED);
    assertThat(m.reason()).contains("no configurations");
  }

  @Test
  @DisplayName("HRD-3 attributes beyond the version: a target_sw that differs is not affected,"
      + " an unknown one (ANY) on the product is not known to differ")
  void otherAttributes() throws Exception {
    CpeRange plugin = range("cpe:2.3:a:example:git:*:*:*:*:*:jenkins:*:*", null, "4.0", true);
    NvdCve cve = new NvdCve("CVE-2099-0006", Instant.EPOCH, "synthetic", List.of(),
        List.of(plugin));
    assertThat(CpeMatcher.affects(cve,
        Cpe.parse("cpe:2.3:a:example:git:3.0:*:*:*:*:node.js:*:*")).status())
        .isEqualTo(Status.NOT_AFFECTED);
    assertThat(CpeMatcher.affects(cve,
        Cpe.parse("cpe:2.3:a:example:git:3.0:*:*:*:*:jenkins:*:*")).status())
        .isEqualTo(Status.AFFECTED);
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/a:example:git:3.0")).status())
        .isEqualTo(Status.AFFECTED);
  }

  @Test
  @DisplayName("HRD-3 a criteria naming every version (openssh:*) without bounds affects any"
      + " version, even one that cannot be ordered")
  void allVersions() throws Exception {
    NvdCve cve = new NvdCve("CVE-2099-0007", Instant.EPOCH, "synthetic", List.of(),
        List.of(range("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", null, null, true)));
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/a:openbsd:openssh:9.2p1~x")).affected())
        .isTrue();
  }

  @Test
  @DisplayName("HRD-3 on this machine: the installed openssh-client's upstream version is inside"
      + " CVE-2023-38408's NVD range although its Debian changelog names the backported fix;"
      + " a CPE match knows upstream versions only (why packages go through DebianMatcher)")
  void thisMachine_cpeKnowsNoBackports() throws Exception {
    Path status = Path.of("/var/lib/dpkg/status");
    Path changelog = Path.of("/usr/share/doc/openssh-client/changelog.Debian.gz");
    assumeTrue(Files.exists(status) && Files.exists(changelog), "openssh-client installed");
    DpkgPackage ssh = null;
    try (InputStream in = Files.newInputStream(status)) {
      for (DpkgPackage p : DpkgStatus.read(in)) {
        if (p.name().equals("openssh-client")) {
          ssh = p;
        }
      }
    }
    assumeTrue(ssh != null, "openssh-client installed");
    String upstream = ssh.version().upstream();
    String log;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(changelog))) {
      log = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    assumeTrue(upstream.equals("9.2p1"), "Debian 12's openssh (" + upstream + ")");
    assertThat(log).contains("Cherry-pick from OpenSSH 9.3p2:").contains("[CVE-2023-38408]");
    assertThat(match("CVE-2023-38408", "cpe:/a:openbsd:openssh:" + upstream).affected())
        .isTrue();
  }

  @Test
  @DisplayName("HRD-3 NA version (-), as NVD names hardware models: a product CPE without a"
      + " version is that model; one with a version is not")
  void naVersion_hardware() throws Exception {
    NvdCve cve = new NvdCve("CVE-2099-0008", Instant.EPOCH, "synthetic", List.of(),
        List.of(range("cpe:2.3:h:example:router_x1:-:*:*:*:*:*:*:*", null, null, true)));
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/h:example:router_x1")).affected())
        .isTrue();
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/h:example:router_x1:-")).affected())
        .isTrue();
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/h:example:router_x1:2.0")).status())
        .isEqualTo(Status.NOT_AFFECTED);
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/h:example:router_x2")).status())
        .isEqualTo(Status.NOT_AFFECTED);
  }

  @Test
  @DisplayName("HRD-3 a criteria with a wildcard inside its product (open*) is 'not assessed'"
      + " for the vendor's products, and no concern of another vendor's")
  void wildcardCriteria() throws Exception {
    NvdCve cve = new NvdCve("CVE-2099-0009", Instant.EPOCH, "synthetic", List.of(),
        List.of(range("cpe:2.3:a:openbsd:open*:*:*:*:*:*:*:*:*", null, "9.8", true)));
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/a:openbsd:openssh:9.2p1")).status())
        .isEqualTo(Status.NOT_ASSESSED);
    assertThat(CpeMatcher.affects(cve, Cpe.parse("cpe:/a:example:openthing:1.0")).status())
        .isEqualTo(Status.NOT_AFFECTED);
  }
}
