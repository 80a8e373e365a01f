package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.cli.support.ServerClient;
import org.neguard.server.ServerConfig;
import org.neguard.server.console.Browser;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;

/**
 * The console in a real browser against simulated NEs (issue 18's tests): a real server on
 * loopback, {@code neguard sim agents} runs whose NEs enroll, poll, install, report and attest
 * over mutual TLS as agents do, and Debian's Chromium. Nothing is put into the database behind
 * the server's back: the wave the page shows advances because NEs report, and the NE the page
 * shows quarantined is one whose installed package was tampered with and that the attestation
 * schedule caught. ({@code ConsoleBrowserTest} in neguard-server walks the pages against a
 * fixture.)
 */
@DisplayName("SRC-1 REC-2 OBJ-2 the console in a browser against simulated NEs")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleFleetBrowserTest {
  static AgentFleet fleet;
  static ServerClient op;
  static Path trigger;
  static final List<FutureTask<CliRun>> sims = new ArrayList<>();
  static final List<Thread> simThreads = new ArrayList<>();
  static Browser creator;
  static Browser approver;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("console-fleet", b -> b.attest(new ServerConfig.Attest(
        Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(60),
        Duration.ofMillis(500), 2)));
    op = AttestFixture.client(fleet, fleet.op);
    byte[] lib = new byte[4_096];
    new java.util.Random(18).nextBytes(lib);
    fleet.publish("core", "1.0", 1, "mme", lib);
    assertThat(CliRun.as(fleet.appr, "attest", "policy", "set", "mme", "--action",
        "quarantine").exit()).isZero();
    trigger = fleet.dir.resolve("tamper-now");
    // Four honest NEs, one that tampers with its package once the trigger file exists, one
    // whose every install fails.
    sim("ok-", 4, "--tamper-rate", "0");
    sim("bad-", 1, "--tamper-rate", "1", "--tamper-when", trigger.toString());
    sim("fail-", 1, "--fail-rate", "1");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (FleetTamperTest.trustStates(op, "").getOrDefault("trusted", 0L) < 6) {
      simsRunning();
      assertThat(System.nanoTime()).as("six NEs attested good: %s",
          FleetTamperTest.trustStates(op, "")).isLessThan(deadline);
      Thread.sleep(250);
    }
    creator = Browser.start(fleet.server.url());
    approver = Browser.start(fleet.server.url());
  }

  private static void sim(String prefix, int count, String... more) {
    List<String> args = new ArrayList<>(List.of("sim", "agents", "--server", fleet.url,
        "--count", String.valueOf(count), "--ne-type", "mme", "--id-prefix", prefix,
        "--poll-interval", "1s", "--threads", "2", "--duration", "10m", "--json"));
    args.addAll(List.of(more));
    FutureTask<CliRun> sim = new FutureTask<>(() -> CliRun.as(fleet.op,
        args.toArray(String[]::new)));
    Thread t = new Thread(sim, "console-fleet-sim-" + prefix);
    t.start();
    sims.add(sim);
    simThreads.add(t);
  }

  /** A sim run that ended is a test failure at once, with its output. */
  private static void simsRunning() throws Exception {
    for (FutureTask<CliRun> s : sims) {
      if (s.isDone()) {
        throw new AssertionError("sim agents ended early: " + s.get());
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    simThreads.forEach(Thread::interrupt);
    for (FutureTask<CliRun> s : sims) {
      try {
        s.get(1, TimeUnit.MINUTES);
      } catch (Exception e) {
        // the fleet's close below stops what is left
      }
    }
    for (AutoCloseable c : new AutoCloseable[] {creator, approver, fleet}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Waits for {@code text} in element {@code id}, failing with the page and the sims' state. */
  private static void waitFor(Browser b, String id, String text, int seconds) throws Exception {
    try {
      b.waitForText(id, text, Duration.ofSeconds(seconds));
    } catch (TimeoutException e) {
      simsRunning();
      throw new AssertionError("no '" + text + "' in #" + id + " after " + seconds + " s; page "
          + b.driver.getPageSource(), e);
    }
  }

  /**
   * Creates a deployment of core 1.0 to {@code devices} through the creator's form, with one more
   * field set; returns its id.
   */
  private static String create(String devices, String field, String value) {
    creator.open("/console/deployments");
    creator.element("packageName").sendKeys("core");
    creator.element("packageVersion").sendKeys("1.0");
    creator.element("devices").sendKeys(devices);
    creator.element(field).sendKeys(value);
    creator.click("create");
    assertThat(creator.waitForPath("/console/deployments/", Duration.ofSeconds(20)))
        .startsWith("/console/deployments/");
    return creator.text("deployment-id");
  }

  @Test
  @Order(1)
  @DisplayName("SRC-1 REC-2 a deployment created in one browser, approved in another; the"
      + " creator's open page follows its waves to completed as the NEs report, without reload")
  void deployment_approvedInAnotherBrowser_wavesAdvanceLiveAsNesReport() throws Exception {
    creator.login("op", "op-agent-test-pw");
    String id = create("ok-0, ok-1, ok-2, ok-3, bad-0", "waves", "2, 3");
    assertThat(creator.text("state")).isEqualTo("pending_approval");
    assertThat(creator.has("approve")).as("the creator has no approve button").isFalse();
    // A reload would lose the mark; the live part's swaps keep it.
    creator.driver.executeScript("document.body.setAttribute('data-kept', 'yes')");

    approver.login("appr", "appr-agent-test-pw");
    approver.open("/console/deployments/" + id);
    approver.click("approve");
    approver.waitForText("state", "running", Duration.ofSeconds(15));

    waitFor(creator, "wave-1", "2/2", 90);
    creator.screenshot("fleet-deployment-wave-1-done");
    waitFor(creator, "wave-2", "3/3", 90);
    waitFor(creator, "state", "completed", 30);
    assertThat(creator.driver.findElement(By.tagName("body")).getAttribute("data-kept"))
        .as("updated in place, never reloaded").isEqualTo("yes");
    assertThat(creator.text("targets")).contains("ok-0").contains("bad-0")
        .doesNotContain("failed");
    // What the page showed is what the NEs did: the server's own record of the targets.
    assertThat(op.targets(id)).allSatisfy(t -> assertThat(t.state()).isEqualTo("succeeded"))
        .hasSize(5);
    creator.screenshot("fleet-deployment-completed");
  }

  @Test
  @Order(2)
  @DisplayName("REC-2 an NE whose install fails reaches the error threshold: the open page shows"
      + " the deployment paused, and why, by itself")
  void failingNe_errorThreshold_pageShowsPausedWithReason() throws Exception {
    String id = create("fail-0", "errorThreshold", "1");
    approver.open("/console/deployments/" + id);
    approver.click("approve");
    waitFor(creator, "state", "paused", 90);
    assertThat(creator.text("state-reason")).containsIgnoringCase("error threshold");
    assertThat(op.deployment(id).state()).isEqualTo("paused");
    creator.screenshot("fleet-deployment-paused");
  }

  @Test
  @Order(3)
  @DisplayName("OBJ-2 an NE that tampers with its installed package: the schedule quarantines"
      + " it, the overview counts it, its page shows the state and the file that differed")
  void tamperedNe_quarantinedByTheSchedule_shownOnOverviewAndItsPage() throws Exception {
    Files.writeString(trigger, "now\n");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Long> states;
    while ((states = FleetTamperTest.trustStates(op, "")).getOrDefault("quarantined", 0L) < 1) {
      simsRunning();
      assertThat(System.nanoTime()).as("trust states %s", states).isLessThan(deadline);
      Thread.sleep(250);
    }
    assertThat(states).containsEntry("quarantined", 1L);
    approver.open("/console");
    assertThat(approver.text("count-quarantined")).isEqualTo("1");
    approver.screenshot("fleet-overview-quarantined");
    approver.open("/console/devices?state=quarantined");
    assertThat(approver.text("devices")).contains("bad-0").doesNotContain("ok-0");
    approver.driver.findElement(By.linkText("bad-0")).click();
    assertThat(approver.text("trust-state")).isEqualTo("quarantined");
    assertThat(approver.text("attestations")).contains("SCHEDULED").contains("FAIL")
        .contains("lib/implant");
    assertThat(approver.has("readmit")).as("an approver may readmit it").isTrue();
    approver.screenshot("fleet-device-quarantined");
  }
}
