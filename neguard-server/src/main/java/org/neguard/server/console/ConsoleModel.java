package org.neguard.server.console;

import jakarta.servlet.http.HttpServletResponse;
import org.neguard.api.auth.Role;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * What every console page shows around its content (who is signed in, with which roles), and
 * a refusal of a console action as a page rather than the API's JSON. Limited to the console's
 * controllers, so the API's answers stay as they are.
 */
@ControllerAdvice(basePackageClasses = ConsoleModel.class)
@Order(Ordered.HIGHEST_PRECEDENCE) // ahead of the API's JSON answers, for the console's handlers
class ConsoleModel {
  @ModelAttribute
  void common(Model model) {
    CurrentUser u = CurrentUser.current();
    model.addAttribute("me", u);
    model.addAttribute("htmx", ConsoleAssets.HTMX);
    model.addAttribute("roles", u == null ? "" : String.join(", ",
        u.roles().stream().sorted().map(Role::id).toList()));
    for (Role r : Role.values()) {
      model.addAttribute("is" + r.name().charAt(0) + r.name().substring(1).toLowerCase(),
          u != null && u.has(r));
    }
  }

  /** A refused or failed action: its status and the service's reason, escaped on the page. */
  @ExceptionHandler(ApiException.class)
  String refused(ApiException e, Model model, HttpServletResponse response) {
    response.setStatus(e.status());
    Reason r = e.reasons().get(0);
    model.addAttribute("status", e.status());
    model.addAttribute("code", r.code().name());
    model.addAttribute("message", r.message());
    common(model);
    return "console/refused";
  }
}
