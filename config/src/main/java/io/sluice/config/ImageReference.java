package io.sluice.config;

import java.util.regex.Pattern;

/**
 * A container image reference as Docker and Kubernetes read one: {@code [registry[:port]/]path[:tag][@digest]}, the
 * grammar of the distribution project's {@code reference} package without IPv6 registries. Checked when the config is
 * read, so that a typo is the user's error message at deploy, not a pod stuck in {@code InvalidImageName}.
 */
final class ImageReference {

  static final String RULE = "a container image reference such as vllm/vllm-openai:v0.6.3, python:3.12-slim or"
      + " registry.example.com:5000/team/app@sha256:<64 hex digits>";
  private static final int MAX_NAME_LENGTH = 255;

  private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String DOMAIN = DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*(?::[0-9]+)?";
  private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  private static final String NAME = "(?:" + DOMAIN + "/)?" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*";
  private static final String TAG = "[\\w][\\w.-]{0,127}";
  private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
  private static final Pattern REFERENCE =
      Pattern.compile("(" + NAME + ")(?::" + TAG + ")?(?:@" + DIGEST + ")?");

  private ImageReference() {}

  static boolean valid(String reference) {
    var match = REFERENCE.matcher(reference);
    return match.matches() && match.group(1).length() <= MAX_NAME_LENGTH;
  }
}
