package io.distillery.config;

import com.typesafe.config.Config;

import java.util.Set;

/**
 * The name of one entry of a config list of named things (co-distilled models, teachers): present, usable as a
 * directory name, and unique in its list; each problem is one sentence naming the key and the value.
 */
final class EntryNames {
    private EntryNames() {
    }

    /**
     * @param at   the entry's key, e.g. {@code distillery.codistill.models[1]}
     * @param what what the entries are, for the sentences ("co-distilled model", "teacher")
     * @param seen the names of the entries before this one; this one's is added
     * @return the name, or null when it is missing (a problem is then recorded)
     */
    static String checked(Config entry, String at, String what, Set<String> seen, ConfigProblems problems) {
        if (!entry.hasPath("name") || entry.getString("name").isBlank()) {
            problems.add("Key " + at + ".name is missing; every " + what + " needs a name.");
            return null;
        }
        String name = entry.getString("name");
        problems.check(name.matches("[A-Za-z0-9_-]+"), "Key " + at + ".name is '" + name
                + "'; use letters, digits, '-' and '_' (it names a directory).");
        problems.check(seen.add(name), "Key " + at + ".name is '" + name + "', which another " + what + " has.");
        return name;
    }
}
