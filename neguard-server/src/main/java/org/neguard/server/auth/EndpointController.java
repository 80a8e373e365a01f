package org.neguard.server.auth;

import java.util.List;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The declared access of every endpoint, for clients that probe the enforced policy. */
@RestController
class EndpointController {
  private final EndpointCatalog catalog;

  EndpointController(EndpointCatalog catalog) {
    this.catalog = catalog;
  }

  @GetMapping("/api/endpoints")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  List<Endpoint> endpoints() {
    return catalog.endpoints();
  }
}
