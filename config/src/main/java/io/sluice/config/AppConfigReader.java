package io.sluice.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads an app from the config its author already has: a Cerebrium {@code cerebrium.toml} with
 * {@code [cerebrium.runtime.custom]}, or a Baseten Truss {@code config.yaml} with {@code docker_server}.
 *
 * <p>Every problem of a file is reported at once, each naming the file, the key as the file spells it, the bad value
 * and what would be right. Keys Sluice does not know are tolerated and listed; keys it knows but does not act on
 * (dependencies, base images) produce notices. Files over 1 MiB, or with a line over 16 KiB, are refused before
 * parsing.
 */
public final class AppConfigReader {

  private static final String CEREBRIUM_FILE = ConfigFormat.CEREBRIUM_TOML.fileName();
  private static final String TRUSS_FILE = ConfigFormat.TRUSS_YAML.fileName();

  private AppConfigReader() {}

  /**
   * Reads the app in {@code appDir} from its {@code cerebrium.toml}, or else its {@code config.yaml}. The app is named
   * by the config, or else after the folder; its project is always {@link AppId#DEFAULT_PROJECT}.
   */
  public static LoadedApp read(Path appDir) throws ConfigException {
    Objects.requireNonNull(appDir, "appDir");
    return read(appDir, appDir);
  }

  /**
   * As {@link #read(Path)}, for a folder that was unpacked somewhere else than where its user keeps it (an upload):
   * problems name the files under {@code shownAs}, and the fallback name is {@code shownAs}'s last segment.
   */
  public static LoadedApp read(Path appDir, Path shownAs) throws ConfigException {
    Objects.requireNonNull(appDir, "appDir");
    Objects.requireNonNull(shownAs, "shownAs");
    if (!Files.isDirectory(appDir)) {
      throw new ConfigException(appDir, new ConfigProblem("", null, "not a folder",
          "a folder holding " + CEREBRIUM_FILE + " or " + TRUSS_FILE, 0));
    }
    Path cerebrium = appDir.resolve(CEREBRIUM_FILE);
    Path truss = appDir.resolve(TRUSS_FILE);
    String fallbackName = nameFromFolder(shownAs);
    if (Files.isRegularFile(cerebrium)) {
      LoadedApp app = parseCerebrium(ConfigText.read(cerebrium), shownAs.resolve(CEREBRIUM_FILE), fallbackName);
      if (!Files.exists(truss)) {
        return app;
      }
      List<String> notices = new ArrayList<>(app.notices());
      notices.add(TRUSS_FILE + " was not used: " + CEREBRIUM_FILE + " is read when a folder holds both");
      return new LoadedApp(app.spec(), app.configFile(), app.ignoredKeys(), notices);
    }
    if (Files.isRegularFile(truss)) {
      return parseTruss(ConfigText.read(truss), shownAs.resolve(TRUSS_FILE), fallbackName);
    }
    throw new ConfigException(shownAs, new ConfigProblem("", null, "no config file in this folder",
        CEREBRIUM_FILE + " with [cerebrium.runtime.custom], or a Truss " + TRUSS_FILE + " with docker_server", 0));
  }

  public static LoadedApp readCerebrium(Path file, String fallbackName) throws ConfigException {
    return parseCerebrium(ConfigText.read(file), file, fallbackName);
  }

  public static LoadedApp readTruss(Path file, String fallbackName) throws ConfigException {
    return parseTruss(ConfigText.read(file), file, fallbackName);
  }

  /**
   * Reads {@code cerebrium.toml} text.
   *
   * @param nameForMessages the file named in problems, and {@link LoadedApp#configFile()}
   * @param fallbackName the app's name when {@code [cerebrium.deployment] name} is absent
   */
  public static LoadedApp parseCerebrium(String text, Path nameForMessages, String fallbackName)
      throws ConfigException {
    checkArguments(text, nameForMessages, fallbackName);
    ConfigText.requireWithinLimit(text, nameForMessages);
    return CerebriumMapping.map(TomlTreeParser.parse(text, nameForMessages), nameForMessages, fallbackName);
  }

  /**
   * Reads Truss {@code config.yaml} text.
   *
   * @param nameForMessages the file named in problems, and {@link LoadedApp#configFile()}
   * @param fallbackName the app's name when {@code model_name} is absent
   */
  public static LoadedApp parseTruss(String text, Path nameForMessages, String fallbackName) throws ConfigException {
    checkArguments(text, nameForMessages, fallbackName);
    ConfigText.requireWithinLimit(text, nameForMessages);
    return TrussMapping.map(YamlTreeParser.parse(text, nameForMessages), nameForMessages, fallbackName);
  }

  /** The folder's name made a valid app name ({@link AppId#nameFrom}), or as it is when nothing valid is left. */
  static String nameFromFolder(Path appDir) {
    Path name = appDir.toAbsolutePath().normalize().getFileName();
    String folder = name == null ? "" : name.toString();
    return AppId.nameFrom(folder).orElse(folder);
  }

  private static void checkArguments(String text, Path nameForMessages, String fallbackName) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(nameForMessages, "nameForMessages");
    Objects.requireNonNull(fallbackName, "fallbackName");
  }
}
