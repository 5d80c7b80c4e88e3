package io.distillery.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads a run config: the user's HOCON file over the defaults in {@code reference.conf}, then environment overrides
 * ({@code CONFIG_FORCE_distillery_seed=7}, Lightbend Config's convention), then {@code -P key=value} overrides from the
 * command line (highest precedence). Keys may be given with or without the {@code distillery.} prefix.
 * A key that the defaults do not know, or a value of the wrong type, is reported by name.
 */
public final class ConfigLoader {
    private static final String ROOT = "distillery";
    /** Subtrees whose contents are free-form lists of objects, so unknown-key checks stop at their root. */
    private static final Set<String> FREE_FORM = Set.of("layers", "loss", "models",
            "min-accuracy", "min-agreement-with-teacher", "max-accuracy-drop");

    private ConfigLoader() {
    }

    /** Loads {@code file} (may be null for defaults only) with the given {@code key=value} overrides. */
    public static DistilleryConfig load(File file, List<String> overrides) {
        return DistilleryConfig.from(resolve(file, overrides));
    }

    /** The merged, resolved HOCON tree (before validation into records). */
    public static Config resolve(File file, List<String> overrides) {
        Config reference = ConfigFactory.parseResources(ConfigLoader.class, "/reference.conf");
        Config user = ConfigFactory.empty();
        if (file != null) {
            if (!file.isFile()) {
                throw new DistilleryException("Config file " + file + " does not exist.");
            }
            try {
                user = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new DistilleryException("Config file " + file + " cannot be parsed: " + e.getMessage(), e);
            }
        }
        Config cli = parseOverrides(overrides);
        Config merged = cli.withFallback(ConfigFactory.systemEnvironmentOverrides().withOnlyPath(ROOT)
                        .withFallback(ConfigFactory.empty()))
                .withFallback(user).withFallback(reference);
        Config resolved;
        try {
            resolved = merged.resolve();
        } catch (ConfigException e) {
            throw new DistilleryException("Config cannot be resolved: " + e.getMessage(), e);
        }
        // Resolved, so that keys the defaults bring by substitution (codistill.train) count as known.
        Config known = reference.resolve();
        List<String> unknown = unknownKeys(resolved, known);
        if (!unknown.isEmpty()) {
            throw new DistilleryException("Unknown config key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + "; the known keys and their defaults are in reference.conf "
                    + "(pipeline/README.md, section Configuration).");
        }
        List<String> wrongTypes = wrongTypes(resolved, known);
        if (!wrongTypes.isEmpty()) {
            throw new DistilleryException(String.join(" ", wrongTypes));
        }
        try {
            // Touch every typed getter once so a wrong type is reported here with its key.
            DistilleryConfig.from(resolved);
        } catch (ConfigException.WrongType | ConfigException.Missing | ConfigException.BadValue e) {
            throw new DistilleryException("Config value has the wrong type: " + e.getMessage(), e);
        }
        return resolved;
    }

    private static Config parseOverrides(List<String> overrides) {
        Config cfg = ConfigFactory.empty();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new DistilleryException("Override '" + o + "' is not of the form key=value.");
            }
            String key = o.substring(0, eq).trim();
            String value = o.substring(eq + 1).trim();
            if (!key.startsWith(ROOT + ".")) {
                key = ROOT + "." + key;
            }
            Config parsed;
            try {
                parsed = ConfigFactory.parseString("v = " + value);
            } catch (ConfigException e) {
                parsed = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(value));
            }
            cfg = cfg.withValue(key, parsed.getValue("v"));
        }
        return cfg;
    }

    private static List<String> unknownKeys(Config resolved, Config reference) {
        Set<String> unknown = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : resolved.getConfig(ROOT).entrySet()) {
            String path = ROOT + "." + e.getKey();
            if (reference.hasPathOrNull(path) || underFreeForm(path, reference)) {
                continue;
            }
            String origin = e.getValue().origin().description();
            unknown.add(path + " (" + (origin.startsWith("String") ? "a -P override" : origin) + ")");
        }
        return new ArrayList<>(unknown);
    }

    /**
     * Every known key whose value cannot be read as the type of its default, named with its full path and value
     * (Lightbend Config's own message names only the last path element, relative to the subtree being read).
     */
    private static List<String> wrongTypes(Config resolved, Config reference) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : reference.resolve().getConfig(ROOT).entrySet()) {
            String path = ROOT + "." + e.getKey();
            if (!resolved.hasPath(path)) {
                continue;
            }
            Object expected = e.getValue().unwrapped();
            boolean integer = expected instanceof Integer || expected instanceof Long;
            String want = integer ? "an integer" : expected instanceof Number ? "a number"
                    : expected instanceof Boolean ? "true or false" : expected instanceof List ? "a list" : "a string";
            try {
                if (integer) {
                    resolved.getLong(path);
                } else if (expected instanceof Number) {
                    resolved.getDouble(path);
                } else if (expected instanceof Boolean) {
                    resolved.getBoolean(path);
                } else if (expected instanceof List) {
                    resolved.getList(path);
                } else {
                    resolved.getString(path);
                }
            } catch (ConfigException.WrongType ex) {
                ConfigValue v = resolved.getValue(path);
                ConfigOrigin origin = v.origin();
                problems.add("Key " + path + " is " + v.render(ConfigRenderOptions.concise())
                        + (origin.filename() != null ? " (" + origin.description() + ")" : "") + "; it must be "
                        + want + ".");
            }
        }
        return problems;
    }

    private static boolean underFreeForm(String path, Config reference) {
        String[] parts = path.split("\\.");
        StringBuilder prefix = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            if (FREE_FORM.contains(parts[i]) && reference.hasPathOrNull(prefix + "." + parts[i])) {
                return true;
            }
            // derive-from-teacher is an optional object with no defaults
            if (parts[i].equals("derive-from-teacher")) {
                return true;
            }
            prefix.append('.').append(parts[i]);
        }
        return false;
    }
}
