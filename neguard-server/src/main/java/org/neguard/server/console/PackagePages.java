package org.neguard.server.console;

import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.pkg.PackageStore;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The stored packages with their signer and RIM (as GET /api/packages), for every role. */
@Controller
class PackagePages {
  private final PackageStore store;

  PackagePages(PackageStore store) {
    this.store = store;
  }

  @GetMapping("/console/packages")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  String packages(Model model) {
    model.addAttribute("packages", store.packages());
    return "console/packages";
  }
}
