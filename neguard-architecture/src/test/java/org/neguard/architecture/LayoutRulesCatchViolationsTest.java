package org.neguard.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.neguard.agent.violation.AgentUsesDataBinding;
import org.neguard.av.violation.one.CycleOne;
import org.neguard.av.violation.two.CycleTwo;
import org.neguard.cli.violation.CliOpensHttpClient;
import org.neguard.cli.violation.CliReadsJsonTree;
import org.neguard.cli.violation.CliUsesInventoryParser;
import org.neguard.cli.violation.CliUsesServerInternals;
import org.neguard.harden.violation.HardenUsesEngines;
import org.neguard.pkg.violation.PkgUsesSpring;
import org.neguard.unplaced.violation.OutsideEveryModule;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.violation.CommonUsesPkg;

/**
 * Each layout rule catches a deliberate violation: the fixtures under {@code *.violation} of this
 * module's tests, imported here and only here (the product's import leaves tests out).
 */
class LayoutRulesCatchViolationsTest {

  @Test
  void common_usingPkg_caught() {
    assertViolation(
        LayoutRules.commonUsesNothingElseOfOurs(), "org.neguard.pkg.Manifest", CommonUsesPkg.class);
  }

  @Test
  void moduleGraph_hardenUsingEngines_caught() {
    assertViolation(
        LayoutRules.modulesUseOnlyTheirAllowedModules(),
        "org.neguard.av.ScanRunner",
        HardenUsesEngines.class);
  }

  @Test
  void moduleGraph_commonUsingPkg_caught() {
    assertViolation(
        LayoutRules.modulesUseOnlyTheirAllowedModules(),
        "org.neguard.pkg.Manifest",
        CommonUsesPkg.class);
  }

  @Test
  void exports_cliUsingServerInternals_caught() {
    // The module graph allows the CLI the server: only the export rule stands in the way.
    assertPasses(LayoutRules.modulesUseOnlyTheirAllowedModules(), CliUsesServerInternals.class);
    assertViolation(
        LayoutRules.modulesUseOnlyEachOthersExports(),
        "org.neguard.server.access.Allowed",
        CliUsesServerInternals.class);
  }

  @Test
  void exports_cliUsingAnInternalClassOfAnExportingModule_caught() {
    assertViolation(
        LayoutRules.modulesUseOnlyEachOthersExports(),
        "org.neguard.harden.inventory.ProcNetParser",
        CliUsesInventoryParser.class);
  }

  @Test
  void exports_entryPointOfAnInternalPackage_allowed() {
    assertThat(Module.HARDEN.exported().test(importOne(
            org.neguard.harden.inventory.LocalInventory.class)))
        .isTrue();
    assertThat(Module.HARDEN.internal().test(importOne(
            org.neguard.harden.inventory.ProcNetParser.class)))
        .isTrue();
  }

  @Test
  void spring_outsideTheServer_caught() {
    assertViolation(
        LayoutRules.springOnlyInTheServer(),
        "org.springframework.util.StringUtils",
        PkgUsesSpring.class);
  }

  @Test
  void packageOutsideEveryModule_caught() {
    assertViolation(
        LayoutRules.everyClassBelongsToAModule(),
        OutsideEveryModule.class.getName(),
        OutsideEveryModule.class);
  }

  @Test
  void packageCycle_caught() {
    assertViolation(
        LayoutRules.packagesAreFreeOfCycles(),
        "org.neguard.av.violation.two",
        CycleOne.class,
        CycleTwo.class);
  }

  @Test
  void cli_readingAnAnswerAsAJsonTree_caught() {
    assertViolation(
        LayoutRules.cliReadsTheServerAsRecords(),
        "com.fasterxml.jackson.databind.JsonNode",
        CliReadsJsonTree.class);
  }

  @Test
  void agentDaemon_usingTheDataBinding_caught() {
    assertViolation(
        LayoutRules.agentDaemonWithoutDataBinding(),
        "com.fasterxml.jackson.databind.ObjectMapper",
        AgentUsesDataBinding.class);
  }

  @Test
  void cli_openingItsOwnHttpClient_caught() {
    assertViolation(
        LayoutRules.cliReadsTheServerAsRecords(),
        "java.net.http.HttpClient",
        CliOpensHttpClient.class);
  }

  private static void assertViolation(ArchRule rule, String target, Class<?>... fixtures) {
    EvaluationResult result = rule.evaluate(new ClassFileImporter().importClasses(fixtures));
    assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
    assertThat(result.getFailureReport().getDetails())
        .anySatisfy(line -> assertThat(line).contains(fixtures[0].getName()).contains(target));
  }

  private static void assertPasses(ArchRule rule, Class<?>... fixtures) {
    JavaClasses classes = new ClassFileImporter().importClasses(fixtures);
    assertThat(rule.evaluate(classes).hasViolation()).as(rule.getDescription()).isFalse();
  }

  private static com.tngtech.archunit.core.domain.JavaClass importOne(Class<?> type) {
    return new ClassFileImporter().importClass(type);
  }
}
