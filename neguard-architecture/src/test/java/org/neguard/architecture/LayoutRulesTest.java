package org.neguard.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.EnumSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The product holds to docs/ARCHITECTURE.md. Only production classes are imported: tests may use
 * what they like (test support, other modules' internals), and this module's own deliberate
 * violations (see {@link LayoutRulesCatchViolationsTest}) must not count.
 */
class LayoutRulesTest {
  private static JavaClasses product;

  @BeforeAll
  static void importProduct() {
    product =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TEST_FIXTURES)
            .importPackages("org.neguard");
  }

  /** Rules over an empty import pass: the import must see every module that has code today. */
  @Test
  void product_holdsEveryModuleWithCode() {
    for (Module module : EnumSet.complementOf(EnumSet.of(Module.AGENT))) {
      assertThat(product.stream().filter(module.classes()::test)).as(module.name()).isNotEmpty();
    }
  }

  @Test
  void common_usesNothingElseOfOurs() {
    LayoutRules.commonUsesNothingElseOfOurs().check(product);
  }

  @Test
  void modules_useOnlyTheirAllowedModules() {
    LayoutRules.modulesUseOnlyTheirAllowedModules().check(product);
  }

  @Test
  void modules_useOnlyEachOthersExports() {
    LayoutRules.modulesUseOnlyEachOthersExports().check(product);
  }

  @Test
  void everyClass_belongsToAModule() {
    LayoutRules.everyClassBelongsToAModule().check(product);
  }

  @Test
  void spring_onlyInTheServer() {
    LayoutRules.springOnlyInTheServer().check(product);
  }

  @Test
  void packages_freeOfCycles() {
    LayoutRules.packagesAreFreeOfCycles().check(product);
  }

  @Test
  void cli_readsTheServerAsRecords() {
    LayoutRules.cliReadsTheServerAsRecords().check(product);
  }

  @Test
  void agentDaemon_withoutDataBinding() {
    LayoutRules.agentDaemonWithoutDataBinding().check(product);
  }
}
