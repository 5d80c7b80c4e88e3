package io.distillery.provenance;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes credentials from text bound for logs and {@code metadata.json}: values of keys that look like secrets
 * (access keys, secret keys, passwords, tokens) in JSON or {@code key=value} form.
 */
public final class Redaction {
    private static final Pattern SECRET = Pattern.compile(
            "(?i)(\"?[\\w.-]*(secret|password|passwd|token|access[.-]?key|credential)[\\w.-]*\"?\\s*[:=]\\s*)"
                    + "(\"[^\"]*\"|[^\\s,}]+)");

    private Redaction() {
    }

    public static String redact(String text) {
        Matcher m = SECRET.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + "\"***\""));
        }
        m.appendTail(out);
        return out.toString();
    }
}
