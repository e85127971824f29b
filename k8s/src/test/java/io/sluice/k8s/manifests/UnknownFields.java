package io.sluice.k8s.manifests;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Every field of a manifest that fabric8's typed model did not know. Its classes keep such fields in
 * {@code additionalProperties} instead of failing (so a misspelt {@code replica: 2} would parse); this walks the whole
 * object and names each one by its path, e.g. {@code spec.template.spec.containers[0].imagePullPolicey}.
 */
public final class UnknownFields {

  private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";

  private UnknownFields() {}

  public static List<String> in(Object model) {
    List<String> found = new ArrayList<>();
    walk(model, "", found, 0);
    return found;
  }

  private static void walk(Object value, String path, List<String> found, int depth) {
    if (value == null || depth > 64) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        walk(list.get(i), path + "[" + i + "]", found, depth + 1);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((key, entry) -> walk(entry, path + "[" + key + "]", found, depth + 1));
      return;
    }
    if (!value.getClass().getPackageName().startsWith(MODEL_PACKAGE)) {
      return;
    }
    for (Method getter : getters(value.getClass())) {
      Object child = invoke(getter, value);
      if (getter.getName().equals("getAdditionalProperties")) {
        if (child instanceof Map<?, ?> extra) {
          extra.keySet().forEach(key -> found.add(path.isEmpty() ? String.valueOf(key) : path + "." + key));
        }
      } else {
        walk(child, join(path, property(getter)), found, depth + 1);
      }
    }
  }

  private static List<Method> getters(Class<?> type) {
    List<Method> getters = new ArrayList<>();
    for (Method method : type.getMethods()) {
      if (method.getParameterCount() == 0 && !Modifier.isStatic(method.getModifiers())
          && method.getName().startsWith("get") && !method.getName().equals("getClass")
          && !method.getReturnType().isPrimitive()) {
        getters.add(method);
      }
    }
    getters.sort(Comparator.comparing(Method::getName));
    return getters;
  }

  private static Object invoke(Method getter, Object target) {
    try {
      return getter.invoke(target);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + getter + " of " + target.getClass().getName(), e);
    }
  }

  private static String property(Method getter) {
    String name = getter.getName().substring(3);
    return Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }

  private static String join(String path, String property) {
    return path.isEmpty() ? property : path + "." + property;
  }
}
