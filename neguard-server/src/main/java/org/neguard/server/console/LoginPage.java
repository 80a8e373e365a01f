package org.neguard.server.console;

import org.neguard.server.access.Allowed;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/** The console's login form; Spring Security's form login takes its POST. */
@Controller
class LoginPage {
  @GetMapping(ConsoleSecurity.LOGIN)
  @Allowed(anonymous = true)
  String login() {
    return "console/login";
  }
}
