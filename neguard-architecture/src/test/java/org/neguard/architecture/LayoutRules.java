package org.neguard.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The layout rules of docs/ARCHITECTURE.md over the classes of {@link Module}. Each factory returns
 * a new rule, so that a test can evaluate it against the product or against a deliberate
 * violation.
 *
 * <p>Every rule allows an empty selection: a module with no classes yet (the agent) breaks nothing.
 */
final class LayoutRules {
  private static final String OURS = "org.neguard..";

  private LayoutRules() {}

  /** The common module is the bottom: it uses nothing else of ours. */
  static ArchRule commonUsesNothingElseOfOurs() {
    return noClasses()
        .that(Module.COMMON.classes())
        .should()
        .dependOnClassesThat(resideInAPackage(OURS).and(not(Module.COMMON.classes())))
        .because("neguard-common is what every other module shares, and shares nothing else")
        .allowEmptyShould(true);
  }

  /** Each module depends only on the modules it may use. */
  static ArchRule modulesUseOnlyTheirAllowedModules() {
    List<ArchRule> rules = new ArrayList<>();
    for (Module module : Module.values()) {
      Set<Module> forbidden = EnumSet.complementOf(EnumSet.of(module));
      forbidden.removeAll(module.uses());
      if (forbidden.isEmpty()) {
        continue;
      }
      rules.add(
          noClasses()
              .that(module.classes())
              .should()
              .dependOnClassesThat(classesOf(forbidden))
              .because(module + " may use only " + module.uses())
              .allowEmptyShould(true));
    }
    return CompositeArchRule.of(rules).as("each module uses only the modules it is allowed to");
  }

  /** No module reaches into another's internals, whatever the module graph allows. */
  static ArchRule modulesUseOnlyEachOthersExports() {
    List<ArchRule> rules = new ArrayList<>();
    for (Module module : Module.values()) {
      rules.add(
          noClasses()
              .that(resideInAPackage(OURS).and(not(module.classes())))
              .should()
              .dependOnClassesThat(module.internal())
              .because("other modules use only what " + module + " exports")
              .allowEmptyShould(true));
    }
    return CompositeArchRule.of(rules).as("no module uses another module's internals");
  }

  /** Every class of ours belongs to a module: a new top-level package is placed deliberately. */
  static ArchRule everyClassBelongsToAModule() {
    return classes()
        .that()
        .resideInAPackage(OURS)
        .should()
        .resideInAnyPackage(Module.allPackages())
        .because("a package outside the module table of docs/ARCHITECTURE.md has no rules")
        .allowEmptyShould(true);
  }

  /** Spring is the server's framework; the agent and the CLI's other commands must not load it. */
  static ArchRule springOnlyInTheServer() {
    return noClasses()
        .that(resideInAPackage(OURS).and(not(Module.SERVER.classes())))
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.springframework..")
        .because("only neguard-server is a Spring application")
        .allowEmptyShould(true);
  }

  /**
   * The CLI reads the server's answers as neguard-api records: outside {@code cli.support} no
   * class builds a JSON tree of an answer or opens its own HTTP client, so a field the server renames
   * breaks the build, not a command at run time, and every request goes through {@code
   * ServerClient} (its limits, TLS and problem handling).
   */
  static ArchRule cliReadsTheServerAsRecords() {
    return noClasses()
        .that(resideInAPackage("org.neguard.cli..")
            .and(not(resideInAPackage("org.neguard.cli.support.."))))
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("com.fasterxml.jackson.databind.JsonNode")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.net.http.HttpClient")
        .because("the wire contract is neguard-api's records, spoken by cli.support.ServerClient")
        .allowEmptyShould(true);
  }

  /**
   * The NE agent's daemon speaks JSON without Jackson's data binding (540 classes an idle agent
   * would keep resident, docs/AGENT.md "Footprint"): Jackson jr for the device API's records and
   * its state files, the streaming generator for its event lines. Only {@code AgentStatus}, the
   * status command's reading of the state files in a process of its own, may use it.
   * AgentFootprintTest (neguard-cli) checks the running agent's loaded classes.
   */
  static ArchRule agentDaemonWithoutDataBinding() {
    return noClasses()
        .that(resideInAPackage("org.neguard.agent.."))
        .and(not(JavaClass.Predicates.simpleName("AgentStatus")))
        .should()
        .dependOnClassesThat()
        .resideInAPackage("com.fasterxml.jackson.databind..")
        .because("an idle agent on an H(e)NB keeps every class it loads resident")
        .allowEmptyShould(true);
  }

  /** No two packages of ours depend on each other, directly or around a cycle, in any module. */
  static ArchRule packagesAreFreeOfCycles() {
    return SlicesRuleDefinition.slices()
        .assignedFrom(new ByPackage())
        .should()
        .beFreeOfCycles()
        .allowEmptyShould(true);
  }

  private static DescribedPredicate<JavaClass> classesOf(Set<Module> modules) {
    return DescribedPredicate.or(modules.stream().map(Module::classes).toList())
        .as("classes of " + modules);
  }

  /** One slice per package of ours; everything else (the JDK, libraries) is no slice. */
  private static final class ByPackage implements SliceAssignment {
    @Override
    public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
      String name = javaClass.getPackageName();
      return name.startsWith("org.neguard.") ? SliceIdentifier.of(name) : SliceIdentifier.ignore();
    }

    @Override
    public String getDescription() {
      return "the packages of org.neguard";
    }
  }
}
