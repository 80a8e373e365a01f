package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.api.device.Feedback;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.console.Browser;
import org.openqa.selenium.By;

/**
 * The operators' console in a real browser (issue 18): Debian's Chromium, headless, against a
 * real server whose deployment engine the test drives. Two browsers, so two sessions: the creator
 * and an approver. Each page is kept as a screenshot under target/console-screenshots/. Here (not
 * in the console's test package) for the deployment fixture, which drives the engine's waves.
 */
@DisplayName("SRC-1 REC-2 HRD-6 the console in a browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
  static DeployFixture f;
  static Browser creator;
  static Browser approver;
  static String deployment;
  /** Holds operator and approver: the four-eyes rule, not a missing role, must stop it. */
  static final String CREATOR = "u-approver-operator";
  static final String CREATOR_PASSWORD = "password-of-" + CREATOR;
  static final String APPROVER = "u-approver";
  static final String APPROVER_PASSWORD = "password-of-" + APPROVER;

  @BeforeAll
  static void start() throws Exception {
    f = new DeployFixture();
    for (String d : List.of("web-1", "web-2", "web-3", "web-4")) {
      f.device(d, "mme", "console");
    }
    f.deviceIn("quarantined", "web-q", "mme", "console");
    for (Role r : Role.values()) {
      f.s.token(r);
    }
    f.s.token(Role.OPERATOR, Role.APPROVER);
    creator = Browser.start(f.s.server.url());
    approver = Browser.start(f.s.server.url());
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {creator, approver, f}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  @Order(1)
  @DisplayName("SRC-1 log in per role: each lands on its pages, the publisher is refused the"
      + " fleet's")
  void login_perRole_showsWhoAndRefusesOthersPages() {
    for (Role r : Role.values()) {
      String user = r == Role.ADMIN ? "admin" : "u-" + r.id();
      String pw = r == Role.ADMIN ? TestServer.ADMIN_PASSWORD : "password-of-" + user;
      creator.login(user, pw);
      assertThat(creator.path()).isEqualTo("/console");
      if (r == Role.PUBLISHER) {
        assertThat(creator.driver.getPageSource()).contains("NOT_AUTHORIZED");
        creator.open("/console/login"); // a page with the logout form
      } else {
        assertThat(creator.text("who")).isEqualTo(user);
        assertThat(creator.text("roles")).isEqualTo(r.id());
        assertThat(creator.has("nav-users")).isEqualTo(r == Role.ADMIN);
        creator.screenshot("overview-" + r.id());
      }
      creator.logout();
      assertThat(creator.path()).isEqualTo("/console/login");
    }
    creator.open("/console/deployments");
    assertThat(creator.path()).as("no session: the login page").isEqualTo("/console/login");
    creator.screenshot("login");
  }

  @Test
  @Order(2)
  @DisplayName("SRC-1 an operator opening the admin page is refused")
  void operator_usersPage_refused() {
    creator.login("u-operator", "password-of-u-operator");
    creator.open("/console/users");
    assertThat(creator.driver.getPageSource()).contains("NOT_AUTHORIZED")
        .doesNotContain("u-auditor");
    creator.open("/console/login");
    creator.logout();
  }

  @Test
  @Order(3)
  @DisplayName("SRC-1 REC-2 four-eyes in two browsers: the creator has no approve button and"
      + " the server refuses anyway; the approver approves")
  void fourEyes_creatorCannotApprove_approverApproves() {
    creator.login(CREATOR, CREATOR_PASSWORD);
    creator.open("/console/deployments");
    creator.element("packageName").sendKeys(DeployFixture.PACKAGE);
    creator.element("packageVersion").sendKeys(DeployFixture.VERSION);
    creator.element("devices").sendKeys("web-1, web-2, web-3, web-4");
    creator.element("waves").sendKeys("2, 2");
    creator.element("errorThreshold").sendKeys("50");
    creator.screenshot("deployment-create");
    creator.click("create");
    assertThat(creator.path()).startsWith("/console/deployments/");
    deployment = creator.text("deployment-id");
    assertThat(creator.text("state")).isEqualTo("pending_approval");
    assertThat(creator.has("approve")).as("no approve button for the creator").isFalse();
    assertThat(creator.text("error-threshold")).isEqualTo("50%");
    creator.screenshot("deployment-pending");

    // The button is absent; the server refuses a forged form all the same (with a valid CSRF
    // token, so that the refusal is the four-eyes rule's).
    creator.driver.executeScript("var f = document.createElement('form'); f.method = 'post';"
        + " f.action = '/console/deployments/" + deployment + "/approve';"
        + " var t = document.querySelector('input[name=_csrf]').cloneNode(); f.appendChild(t);"
        + " document.body.appendChild(f); f.submit();");
    new org.openqa.selenium.support.ui.WebDriverWait(creator.driver, Duration.ofSeconds(10))
        .until(d -> !d.findElements(By.id("refusal")).isEmpty());
    assertThat(creator.text("refusal")).contains("403").contains("FOUR_EYES");
    assertThat(f.state(deployment)).isEqualTo("pending_approval");
    creator.screenshot("deployment-four-eyes-refused");

    approver.login(APPROVER, APPROVER_PASSWORD);
    approver.open("/console/deployments/" + deployment);
    assertThat(approver.has("approve")).isTrue();
    approver.click("approve");
    approver.waitForText("state", "running", Duration.ofSeconds(10));
    assertThat(approver.text("approvals")).isEqualTo("1 of 1");
  }

  @Test
  @Order(4)
  @DisplayName("REC-2 a live wave: the open page advances as the devices report, without reload")
  void wave_advancesOnTheOpenPage() throws Exception {
    assertThat(deployment).isNotNull();
    creator.open("/console/deployments/" + deployment);
    f.scheduler.advanceAll();
    // Marks the page: a reload would lose it, an htmx swap of the waves keeps it.
    creator.driver.executeScript("document.body.setAttribute('data-kept', 'yes')");
    for (String d : List.of("web-1", "web-2")) {
      String order = f.orderId(deployment, d);
      assertThat(order).as(d).isNotNull();
      f.orders.feedback(d, new Feedback(order, "succeeded", null, List.of(), null, "evidence"));
    }
    f.scheduler.advanceAll();
    try {
      creator.waitForText("wave-1", "2/2", Duration.ofSeconds(15));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("wave 1 not shown done; targets " + f.targets(deployment)
          + ", page " + creator.driver.getPageSource() + ", log "
          + creator.driver.manage().logs().get("browser").getAll(), e);
    }
    f.scheduler.advanceAll();
    creator.waitForText("wave-2", "running", Duration.ofSeconds(15));
    assertThat(creator.driver.findElement(By.tagName("body")).getAttribute("data-kept"))
        .as("updated in place").isEqualTo("yes");
    creator.screenshot("deployment-wave-live");
  }

  @Test
  @Order(5)
  @DisplayName("HRD-6 the quarantined NE: counted on the overview, found by the device filter")
  void quarantinedDevice_shownOnOverviewAndDevices() {
    approver.open("/console");
    assertThat(approver.text("count-quarantined")).isEqualTo("1");
    assertThat(approver.has("trust-chart")).isTrue();
    approver.screenshot("overview");
    approver.open("/console/devices?state=quarantined");
    assertThat(approver.text("devices")).contains("web-q").doesNotContain("web-1");
    approver.screenshot("devices-quarantined");
    approver.driver.findElement(By.linkText("web-q")).click();
    assertThat(approver.text("trust-state")).isEqualTo("quarantined");
    approver.screenshot("device");
  }

  @Test
  @Order(6)
  @DisplayName("SRC-2 the packages page: the stored package with its signer")
  void packagesPage_showsTheStoredPackageAndSigner() {
    approver.open("/console/packages");
    assertThat(approver.text("packages")).contains(DeployFixture.PACKAGE)
        .contains(DeployFixture.VERSION).contains("CN=");
    approver.screenshot("packages");
  }

  @Test
  @Order(7)
  @DisplayName("SRC-3 the audit page: verify the chain as an auditor")
  void auditPage_verifiesTheChain() {
    approver.open("/console/login");
    approver.logout();
    approver.login("u-auditor", "password-of-u-auditor");
    approver.open("/console/audit");
    approver.click("verify");
    // The form's answer is a new page: wait for it (reading at once raced its load in CI).
    approver.waitForText("verdict", "intact", java.time.Duration.ofSeconds(30));
    assertThat(approver.text("verdict")).isEqualTo("intact");
    assertThat(approver.text("audit")).contains("DEPLOYMENT");
    approver.screenshot("audit");
    approver.open("/console");
    assertThat(approver.text("audit-check")).contains("intact").contains("u-auditor");
  }
}
