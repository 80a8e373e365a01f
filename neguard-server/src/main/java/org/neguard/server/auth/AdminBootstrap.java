package org.neguard.server.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.neguard.server.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * First start: creates the user {@code admin} when there is no user at all. Its password comes
 * from {@code --admin-password-file}, else the environment variable {@code
 * NEGUARD_ADMIN_PASSWORD}, else it is generated and printed once on standard output. Never a
 * fixed default. On any start, {@code NEGUARD_UNLOCK_USER=name} clears that account's login
 * lock (audited), for an admin locked out on purpose when no other admin can log in.
 */
@Component
final class AdminBootstrap implements ApplicationRunner {
  static final String ADMIN = "admin";
  private static final Logger LOG = LoggerFactory.getLogger(AdminBootstrap.class);

  private final Accounts accounts;
  private final ServerConfig config;

  AdminBootstrap(Accounts accounts, ServerConfig config) {
    this.accounts = accounts;
    this.config = config;
  }

  @Override
  public void run(ApplicationArguments args) {
    String password;
    boolean generated = false;
    if (config.adminPasswordFile().isPresent()) {
      try {
        password = Files.readString(config.adminPasswordFile().get(), StandardCharsets.UTF_8)
            .strip();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the admin password file", e);
      }
    } else if (System.getenv("NEGUARD_ADMIN_PASSWORD") != null) {
      password = System.getenv("NEGUARD_ADMIN_PASSWORD");
    } else {
      password = Accounts.randomPassword();
      generated = true;
    }
    String unlock = System.getenv("NEGUARD_UNLOCK_USER");
    if (unlock != null && !unlock.isBlank()) {
      LOG.warn(accounts.unlockAtStart(unlock.strip())
          ? "NEGUARD_UNLOCK_USER: cleared the login lock of '{}' (recorded in the audit log)"
          : "NEGUARD_UNLOCK_USER: there is no user '{}'; nothing unlocked",
          Accounts.printable(unlock.strip()));
    }
    if (!accounts.bootstrapAdmin(ADMIN, password)) {
      return;
    }
    if (generated) {
      System.out.println();
      System.out.println("NEGuard first start: created the user 'admin' with this one-time password:");
      System.out.println();
      System.out.println("    " + password);
      System.out.println();
      System.out.println("It is not stored anywhere and will not be shown again. Log in with");
      System.out.println("'neguard login --server URL --user admin', then change it");
      System.out.println("('neguard user passwd') or create named admins and disable this one.");
      System.out.println();
      System.out.flush();
    } else {
      LOG.info("first start: created the user 'admin' with the given password");
    }
  }
}
