package io.distillery.report;

import java.util.Base64;
import java.util.Locale;

/** The few HTML helpers the report needs: escaping every text it shows, and PNG bytes as an embedded image. */
final class Html {
    private Html() {
    }

    /** {@code text} safe inside an element or a quoted attribute; null becomes the empty string. */
    static String escape(Object text) {
        if (text == null) {
            return "";
        }
        String s = text.toString();
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** An {@code <img>} whose source is the PNG itself (a data URI): no file or network beside the page. */
    static String image(byte[] png, String alt) {
        return "<img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\" alt=\""
                + escape(alt) + "\">";
    }

    /** A number for a table cell: {@code digits} decimals, or a dash when absent. */
    static String number(Object value, int digits) {
        if (!(value instanceof Number n)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%." + digits + "f", n.doubleValue());
    }

    /** A whole number with thousands separators, or a dash when absent. */
    static String count(Object value) {
        if (!(value instanceof Number n)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%,d", n.longValue());
    }
}
