package org.neguard.server.pkg;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.pkg.HeldPackage;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.web.ApiException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Packages the publication gate holds for known vulnerabilities (issue 16): every role reads
 * them; approvers add VEX statements, which re-judge a held package and publish it once no
 * finding reaches the threshold. The VEX body is the document itself (CycloneDX VEX or OpenVEX
 * JSON), read no further than {@link org.neguard.vuln.VexReader#MAX_BYTES}.
 */
@RestController
@RequestMapping("/api/packages")
class HeldPackageController {
  private final HeldPackages held;

  HeldPackageController(HeldPackages held) {
    this.held = held;
  }

  @GetMapping("/held")
  @Allowed({Role.ADMIN, Role.PUBLISHER, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<HeldPackage> list() {
    return held.list();
  }

  @PostMapping("/{name}/{version}/vex")
  @Allowed(Role.APPROVER)
  HeldPackage addVex(@PathVariable String name, @PathVariable String version,
      @RequestParam(name = "source", defaultValue = "vex.json") String source,
      HttpServletRequest request) throws IOException {
    if (!source.matches("[A-Za-z0-9._+-]{1,128}")) {
      throw ApiException.badInput("source is not a file name of 1 to 128 characters"
          + " [A-Za-z0-9._+-]");
    }
    return held.addVex(CurrentUser.current().username(), name, version,
        request.getContentLengthLong(), request.getInputStream(), source);
  }
}
