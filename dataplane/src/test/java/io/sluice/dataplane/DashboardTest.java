package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Scrape;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard shipped in {@code dashboards/sluice.json} reads only series that a node exports: every metric
 * name in its PromQL is checked against a live node's {@code /metrics} after traffic that includes a cold start, and
 * what it takes a rate of is a counter or part of a histogram.
 */
class DashboardTest {

  static final Path DASHBOARD = Path.of("..", "dashboards", "sluice.json").toAbsolutePath().normalize();

  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
      "ignoring", "group_left", "group_right", "inf", "nan");
  private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*\\w+\\)$");
  private static final Pattern LABEL_LISTS =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern RATED =
      Pattern.compile("\\b(?:rate|irate|increase)\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
  private static final Pattern APP_SELECTOR = Pattern.compile("sluice_app_\\w+(\\{[^}]*})?");
  private static final Pattern TYPE_LINE = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);

  @TempDir
  Path temp;

  @Test
  void every_series_the_dashboard_reads_is_exported_by_a_node_after_traffic_with_a_cold_start() throws Exception {
    List<String> expressions = expressions(new JsonObject(Files.readString(DASHBOARD)));
    Set<String> used = new TreeSet<>();
    expressions.forEach(expression -> used.addAll(metricNames(expression)));
    assertThat(used).as("the series the dashboard is for").contains(
        "sluice_app_requests_total", "sluice_app_request_duration_seconds_bucket", "sluice_app_requests_in_flight",
        "sluice_app_requests_held", "sluice_app_replicas_desired", "sluice_app_replicas_ready",
        "sluice_app_panicking", "sluice_app_cold_starts_total", "sluice_app_cold_start_duration_seconds_bucket",
        "sluice_app_hold_duration_seconds_bucket", "sluice_app_replica_starts_total",
        "sluice_app_replica_failures_total");

    Scrape scrape;
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "dash", "config.yaml",
          MetricsEndToEndTest.sleepy("dash", 0.5, 0)));
      await().atMost(Duration.ofSeconds(30)).until(() -> app.route().readyCount() == 1);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> app.liveReplicas().isEmpty() && app.route().readyCount() == 0);
      assertThat(node.post("/v4/local/dash/predict", "{}").statusCode()).as("woken from zero").isEqualTo(200);
      assertThat(node.get("/v4/local/dash/no-such-route").statusCode()).isEqualTo(404);
      scrape = Scrape.of(node.send(HttpRequest.newBuilder(URI.create(node.adminUrl() + "/metrics")).GET().build())
          .body());
    }
    assertThat(scrape.value("sluice_app_cold_starts_total", "app", "dash")).hasValue(1);

    Map<String, String> types = types(scrape.text());
    for (String name : used) {
      assertThat(scrape.matching(name)).as("%s, used by the dashboard, at a node's /metrics", name).isNotEmpty();
      String family = familyOf(name, types);
      assertThat(types).as("%s's family %s has a # TYPE", name, family).containsKey(family);
      if (!family.equals(name)) {
        assertThat(types.get(family)).as("%s is part of a histogram", name).isEqualTo("histogram");
      }
    }
    for (String expression : expressions) {
      Matcher rated = RATED.matcher(expression);
      while (rated.find()) {
        String name = rated.group(1);
        assertThat(name.equals(familyOf(name, types)) ? types.get(name) : "histogram")
            .as("a rate of %s in %s", name, expression).isIn("counter", "histogram");
      }
    }
  }

  @Test
  void every_panel_of_an_apps_series_follows_the_app_variable() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));

    assertThat(dashboard.getJsonObject("templating").getJsonArray("list").stream()
        .map(variable -> ((JsonObject) variable).getString("name"))).contains("datasource", "project", "app");
    List<String> expressions = expressions(dashboard);
    assertThat(expressions).isNotEmpty();
    for (String expression : expressions) {
      if (expression.startsWith("label_values(")) {
        continue;
      }
      Matcher selector = APP_SELECTOR.matcher(expression);
      while (selector.find()) {
        assertThat(selector.group()).as("a selector of an app's series in %s", expression)
            .contains("app=~\"$app\"");
      }
    }
  }

  @Test
  void metric_names_are_told_from_functions_labels_and_grafanas_variables() {
    assertThat(metricNames("histogram_quantile(0.99, sum by (project, app, le) (rate(a_bucket{app=~\"$app\", "
        + "le!=\"1e3\"}[$__rate_interval]))) / on (app) group_left max(b) offset 5m > bool 1e3"))
        .containsExactlyInAnyOrder("a_bucket", "b");
    assertThat(metricNames("label_values(c_total{project=~\"$project\"}, app)")).containsExactly("c_total");
  }

  /** The PromQL of every panel's targets (rows' nested panels too) and of every variable's query. */
  static List<String> expressions(JsonObject dashboard) {
    List<String> found = new ArrayList<>();
    collect(dashboard.getJsonArray("panels"), found);
    for (Object variable : dashboard.getJsonObject("templating").getJsonArray("list")) {
      JsonObject v = (JsonObject) variable;
      if ("query".equals(v.getString("type"))) {
        found.add(v.getString("definition"));
      }
    }
    return found;
  }

  private static void collect(JsonArray panels, List<String> into) {
    if (panels == null) {
      return;
    }
    for (Object p : panels) {
      JsonObject panel = (JsonObject) p;
      JsonArray targets = panel.getJsonArray("targets", new JsonArray());
      for (Object target : targets) {
        into.add(((JsonObject) target).getString("expr"));
      }
      collect(panel.getJsonArray("panels"), into);
    }
  }

  /**
   * The metric names in one PromQL expression: what is left once label matchers, ranges, strings, label lists, function
   * names and keywords are taken out. A variable's {@code label_values(selector, label)} counts as its selector.
   */
  static Set<String> metricNames(String expression) {
    Matcher labelValues = LABEL_VALUES.matcher(expression.trim());
    String text = labelValues.matches() ? labelValues.group(1) : expression;
    text = text.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ");
    text = LABEL_LISTS.matcher(text).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher identifier = IDENTIFIER.matcher(text);
    while (identifier.find()) {
      String name = identifier.group();
      boolean function = text.substring(identifier.end()).matches("(?s)\\s*\\(.*");
      if (!function && !KEYWORDS.contains(name.toLowerCase())) {
        names.add(name);
      }
    }
    return names;
  }

  /** Each family's type from the scrape's {@code # TYPE} lines: a counter's name ends in _total, a histogram's not. */
  private static Map<String, String> types(String text) {
    Map<String, String> types = new HashMap<>();
    Matcher line = TYPE_LINE.matcher(text);
    while (line.find()) {
      types.put(line.group(1), line.group(2));
    }
    return types;
  }

  /** The family a sample name belongs to: a histogram's for its _bucket, _sum and _count, else its own. */
  private static String familyOf(String name, Map<String, String> types) {
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      String family = name.substring(0, Math.max(0, name.length() - suffix.length()));
      if (name.endsWith(suffix) && "histogram".equals(types.get(family))) {
        return family;
      }
    }
    return name;
  }
}
