package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.openqa.selenium.By;

/**
 * The Evidence page in Debian's Chromium (issue 18): an auditor opens it from the navigation,
 * generates the integrity evidence with its form and sees it listed with its date, verdict and
 * author; an operator has no link to it.
 */
@DisplayName("SRC-3 the console's Evidence page in a browser")
class EvidenceBrowserTest {
  static TestServer s;
  static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    s.token(Role.AUDITOR);
    s.token(Role.OPERATOR);
    browser = Browser.start(s.server.url());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {browser, s}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  @DisplayName("SRC-3 an auditor generates the integrity evidence on the page; it is listed with"
      + " date, verdict and author, with its downloads")
  void auditor_generatesIntegrityEvidence_listed() {
    browser.login("u-operator", "password-of-u-operator");
    assertThat(browser.has("nav-evidence")).as("the operator has no Evidence link").isFalse();
    browser.logout();

    browser.login("u-auditor", "password-of-u-auditor");
    browser.click("nav-evidence");
    assertThat(browser.path()).isEqualTo("/console/evidence");
    assertThat(browser.text("none")).contains("No evidence document");
    browser.click("generate-integrity");
    browser.waitForText("documents", "integrity", Duration.ofSeconds(30));
    var row = browser.driver.findElement(By.cssSelector("#documents tr[id^='doc-']"));
    String id = row.getAttribute("id").substring("doc-".length());
    assertThat(row.getText()).contains("integrity").contains("u-auditor").contains("PASS")
        .containsPattern("20\\d\\d-\\d\\d-\\d\\dT");
    assertThat(browser.element("html-" + id).getAttribute("href"))
        .endsWith("/console/evidence/" + id + "/html");
    assertThat(browser.element("json-" + id).getAttribute("href"))
        .endsWith("/console/evidence/" + id + "/json");
    browser.screenshot("evidence");
  }
}
