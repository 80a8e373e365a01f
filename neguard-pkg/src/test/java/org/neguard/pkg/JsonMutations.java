package org.neguard.pkg;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Edits of an indented JSON document for the decoders' differential tests (issue 17). */
public final class JsonMutations {
  private JsonMutations() {}

  /**
   * Replaces the value after a random {@code " : "} with {@code token}: a string or scalar
   * value whole; before an object or array, {@code token} is inserted in front of it.
   */
  public static String replaceValue(String doc, Random r, String token) {
    List<Integer> colons = new ArrayList<>();
    for (int i = doc.indexOf(" : "); i >= 0; i = doc.indexOf(" : ", i + 1)) {
      colons.add(i + 3);
    }
    int start = colons.get(r.nextInt(colons.size()));
    int end = start;
    if (doc.charAt(start) == '"') {
      end = start + 1;
      while (doc.charAt(end) != '"' || doc.charAt(end - 1) == '\\') {
        end++;
      }
      end++;
    } else if (doc.charAt(start) != '{' && doc.charAt(start) != '[') {
      while (end < doc.length() && ",\n".indexOf(doc.charAt(end)) < 0) {
        end++;
      }
    }
    return doc.substring(0, start) + token + doc.substring(end);
  }
}
