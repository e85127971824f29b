package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/** A config value written back for a message: strings quoted, containers inline, everything cut to a short length. */
final class ValueText {

  static final int MAX_LENGTH = 80;
  private static final String CUT = "...";

  private ValueText() {}

  static String of(JsonNode value) {
    StringBuilder text = new StringBuilder();
    append(text, value);
    return cut(text.toString());
  }

  static String quoted(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    text.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\t' -> quoted.append("\\t");
        case '\r' -> quoted.append("\\r");
        default -> {
          if (Character.isISOControl(c)) {
            quoted.append(String.format("\\u%04x", c));
          } else {
            quoted.appendCodePoint(c);
          }
        }
      }
    });
    return quoted.append('"').toString();
  }

  /**
   * A key or name as written, or quoted when it holds a control character: a line break would split a message that
   * has one problem per line, an escape sequence would reach the user's terminal.
   */
  static String readable(String text) {
    return text.chars().anyMatch(Character::isISOControl) ? quoted(text) : text;
  }

  static String cut(String text) {
    return text.length() <= MAX_LENGTH ? text : text.substring(0, MAX_LENGTH - CUT.length()) + CUT;
  }

  // Stops as soon as the text is long enough, so a huge (or alias-multiplied) value costs no more than a short one.
  private static void append(StringBuilder text, JsonNode value) {
    if (text.length() > MAX_LENGTH) {
      return;
    }
    if (value.isTextual()) {
      text.append(quoted(cut(value.textValue())));
    } else if (value.isArray()) {
      text.append('[');
      Iterator<JsonNode> elements = value.elements();
      while (elements.hasNext() && text.length() <= MAX_LENGTH) {
        append(text, elements.next());
        if (elements.hasNext()) {
          text.append(", ");
        }
      }
      text.append(']');
    } else if (value.isObject()) {
      text.append('{');
      Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
      while (fields.hasNext() && text.length() <= MAX_LENGTH) {
        Map.Entry<String, JsonNode> field = fields.next();
        text.append(readable(field.getKey())).append(" = ");
        append(text, field.getValue());
        if (fields.hasNext()) {
          text.append(", ");
        }
      }
      text.append('}');
    } else {
      text.append(value.asText());
    }
  }
}
