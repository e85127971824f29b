package io.sluice.dataplane.launcher;

import io.sluice.config.AppId;

/** An app named on the command line as {@code project/app}, or {@code app} in the default project. */
final class AppName {

  private AppName() {}

  static AppId parse(String text) {
    int slash = text.indexOf('/');
    return slash < 0
        ? new AppId(AppId.DEFAULT_PROJECT, text)
        : new AppId(text.substring(0, slash), text.substring(slash + 1));
  }
}
