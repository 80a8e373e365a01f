package org.neguard.server.device;

import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.device.OrderKey;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.keys.ServerKeys;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The order-signing keys for users: every key ever used (retired ones stay listed, so orders
 * they signed stay checkable), and rotation by an admin.
 */
@RestController
@RequestMapping("/api/deployments/order-keys")
class OrderKeyController {
  private final ServerKeys keys;
  private final AuditLog audit;
  private final TransactionTemplate tx;

  OrderKeyController(ServerKeys keys, AuditLog audit, PlatformTransactionManager transactions) {
    this.keys = keys;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
  }

  @GetMapping
  @Allowed(anyUser = true)
  List<OrderKey> list() {
    return keys.orderKeys();
  }

  @PostMapping("/rotate")
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed(Role.ADMIN)
  OrderKey rotate() {
    keys.orderSigner(); // the first key, if none yet, outside the rotation's transaction
    String actor = CurrentUser.actorName();
    try {
      return tx.execute(s -> {
        OrderKey k = keys.rotateOrderKey();
        audit.append(AuditEvent.success(actor, "ROTATE_ORDER_KEY", "order key " + k.kid(),
            "new order-signing key; the previous one is retired"));
        return k;
      });
    } catch (DuplicateKeyException e) {
      // Another rotation (here or on a replica) took the same key number: nothing changed.
      String message = "another rotation of the order key ran at the same time; list the keys"
          + " and rotate again if still needed";
      audit.append(AuditEvent.denied(actor, "ROTATE_ORDER_KEY", "order key",
          ReasonCode.CONFLICT + ": " + message));
      throw ApiException.of(ReasonCode.CONFLICT, message);
    } finally {
      // Whatever happened, the next order reads the active key from the database again.
      keys.refresh();
    }
  }
}
