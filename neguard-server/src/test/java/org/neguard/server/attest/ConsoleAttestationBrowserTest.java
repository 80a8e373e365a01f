package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.TreeDigest;
import org.neguard.server.TestServer.Role;
import org.neguard.server.console.Browser;
import org.neguard.server.device.TestDevice;

/**
 * The console in a browser after a tampered file (issue 18): a device that attested clean answers
 * its next challenge with one file changed; the operator's overview counts it quarantined and its
 * page names the file that differed. Here (not in the console's test package) for the attestation
 * fixture, whose devices answer challenges over mutual TLS.
 */
@DisplayName("ATT-4 HRD-6 the console shows a quarantined NE after a tampered file")
class ConsoleAttestationBrowserTest {
  static AttestFixture f;
  static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    f = new AttestFixture();
    f.s.token(Role.OPERATOR);
    browser = Browser.start(f.s.server.url());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {browser, f}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  @DisplayName("ATT-4 a tampered file: the NE quarantined on the overview, the file named on its"
      + " page")
  void tamperedFile_quarantinedOnOverview_fileNamedOnDevicePage() throws Exception {
    TestDevice d = f.enrollWithApp("console-ne");
    f.scheduler.runOnce(Instant.now());
    assertThat(f.answer(d, f.app()).trustState()).isEqualTo("trusted");
    browser.login("u-operator", "password-of-u-operator");
    assertThat(browser.text("count-trusted")).isEqualTo("1");
    assertThat(browser.text("count-quarantined")).isEqualTo("0");

    f.due("console-ne");
    f.challenge(d);
    List<TreeDigest.Leaf> changed = new ArrayList<>(f.rim);
    TreeDigest.Leaf victim = changed.get(0);
    changed.set(0, new TreeDigest.Leaf(victim.path(), "ee".repeat(32), victim.mode()));
    assertThat(f.answer(d, AttestFixture.app(changed)).trustState()).isEqualTo("quarantined");

    browser.open("/console");
    assertThat(browser.text("count-quarantined")).isEqualTo("1");
    assertThat(browser.text("count-trusted")).isEqualTo("0");
    browser.screenshot("overview-quarantined");
    browser.open("/console/devices?state=quarantined");
    assertThat(browser.text("devices")).contains("console-ne");
    browser.open("/console/devices/console-ne");
    assertThat(browser.text("trust-state")).isEqualTo("quarantined");
    assertThat(browser.text("attestations")).contains("FAIL").contains("MEASUREMENT_MISMATCH")
        .contains("changed " + victim.path());
    assertThat(browser.has("readmit")).as("readmitting is the approver's").isFalse();
    assertThat(browser.has("disable")).as("disabling is the admin's").isFalse();
    browser.screenshot("device-quarantined");
    browser.click("attest");
    // The form's answer redirects to this same page: until it loads, the old page's address is
    // current and its list may be gone (CI: NoSuchElementException on #attestations).
    browser.waitForText("attestations", "REQUESTED", java.time.Duration.ofSeconds(20));
    assertThat(browser.path()).isEqualTo("/console/devices/console-ne");
  }
}
