package org.neguard.agent.violation;

import com.fasterxml.jackson.databind.ObjectMapper;

/** A deliberate violation: agent code writing a record with Jackson's data binding. */
public final class AgentUsesDataBinding {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AgentUsesDataBinding() {}

  static byte[] write(Object record) throws Exception {
    return JSON.writeValueAsBytes(record);
  }
}
