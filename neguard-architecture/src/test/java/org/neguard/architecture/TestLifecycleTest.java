package org.neguard.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * No test class extends one with static lifecycle methods (JUnit runs both classes', so the
 * parent's server would be started and leaked): the shared tests live in abstract {@code *Cases}
 * classes without lifecycle annotations.
 */
class TestLifecycleTest {
  @Test
  void repository_noSubclassOfClassWithLifecycle() {
    Path root = Path.of(System.getProperty("neguard.root"));
    assertThat(TestLifecycle.sources(root)).containsKey("neguard-server/VulnServerCases");
    assertThat(TestLifecycle.problems(TestLifecycle.sources(root))).isEmpty();
  }

  @Test
  void subclassOfClassWithBeforeAll_reported() {
    Map<String, String> sources = Map.of(
        "m/AttestationTest", "package p;\n/** x */\nclass AttestationTest {\n  @BeforeAll\n"
            + "  static void start() {}\n}\n",
        "m/AttestationPostgresTest", "package p;\n@DisplayName(\"x\")\n"
            + "class AttestationPostgresTest extends AttestationTest {\n  @BeforeAll\n"
            + "  static void start() {}\n}\n");
    assertThat(TestLifecycle.problems(sources)).containsExactly("AttestationPostgresTest extends"
        + " AttestationTest, which has @BeforeAll/@AfterAll methods");
  }

  @Test
  void subclassOfAbstractCasesWithoutLifecycle_passes() {
    Map<String, String> sources = Map.of(
        "m/VulnGateCases", "package p;\nabstract class VulnGateCases {\n  static void startOn("
            + "String url) {}\n  @Test\n  void t() {}\n}\n",
        "m/VulnGateTest", "package p;\nclass VulnGateTest extends VulnGateCases {\n"
            + "  @BeforeAll\n  static void startEmbedded() {}\n  @AfterAll\n"
            + "  static void stopEmbedded() {}\n}\n");
    assertThat(TestLifecycle.problems(sources)).isEmpty();
  }
}
