package org.neguard.server.auth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.RoleName;
import org.neguard.server.access.Allowed;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Every API endpoint and the roles it declares, read from the handlers themselves. The server
 * does not start when one of its endpoints declares no role (SRC-1). Clients read the list to
 * probe the enforced policy ({@code neguard evidence authz}); the probe, not this list, is the
 * evidence.
 */
@Component
public final class EndpointCatalog {
  private final List<Endpoint> endpoints;

  EndpointCatalog(@Qualifier("requestMappingHandlerMapping") RequestMappingHandlerMapping mapping,
      Environment environment) {
    List<Endpoint> list = new ArrayList<>();
    List<String> undeclared = new ArrayList<>();
    for (Map.Entry<RequestMappingInfo, HandlerMethod> e : mapping.getHandlerMethods().entrySet()) {
      HandlerMethod hm = e.getValue();
      if (!hm.getBeanType().getName().startsWith("org.neguard.")) {
        continue;
      }
      Allowed a = hm.getMethodAnnotation(Allowed.class);
      if (a == null) {
        undeclared.add(hm.getShortLogMessage());
        continue;
      }
      // As the users' port enforces it: an endpoint that devices may call too is listed by what
      // it admits there (the agents' port admits devices only).
      String access = a.anonymous() || EndpointAuthorization.openNow(a, environment) ? "anonymous"
          : a.anyUser() ? "any-user"
          : a.device() && !EndpointAuthorization.admitsUsers(a) ? "device" : "roles";
      for (String path : e.getKey().getPatternValues()) {
        for (RequestMethod m : e.getKey().getMethodsCondition().getMethods()) {
          list.add(new Endpoint(m.name(), path, access, RoleName.of(Arrays.asList(a.value()))));
        }
      }
    }
    if (!undeclared.isEmpty()) {
      throw new IllegalStateException("endpoints without @Allowed: " + undeclared);
    }
    list.sort(Comparator.comparing(Endpoint::path).thenComparing(Endpoint::method));
    this.endpoints = List.copyOf(list);
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }
}
