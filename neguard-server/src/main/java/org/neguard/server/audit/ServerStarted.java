package org.neguard.server.audit;

import org.neguard.server.DataDir;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/** Records each start of the server in the audit log, with where its data lives. */
@Component
@Order(0)
final class ServerStarted implements ApplicationRunner {
  private final AuditLog audit;
  private final DataDir dataDir;

  ServerStarted(AuditLog audit, DataDir dataDir) {
    this.audit = audit;
    this.dataDir = dataDir;
  }

  @Override
  public void run(ApplicationArguments args) {
    audit.append(AuditEvent.success("system", "SERVER_START", "server",
        "data directory " + dataDir.root()));
  }
}
