package org.multiprocessing4j.internal.inspect;

/**
 * Makes a string safe to print on a terminal, for the inspector's text output: a name of named
 * memory is any bytes but {@code /} and NUL, so it may hold a newline (which would forge a row),
 * an escape sequence (which the terminal would obey) or a right-to-left override. Such characters
 * are shown as the escapes of bash's {@code $'...'}: {@code \\}, {@code \n}, {@code \r},
 * {@code \t}, {@code \xHH} for the other ASCII controls and DEL, <code>&#92;uHHHH</code> for the C1
 * controls, format characters (bidirectional overrides, zero-width ones), line and paragraph
 * separators and lone surrogates; a backslash is doubled so that the escapes are unambiguous.
 * Everything else is printed as it is. The JSON output needs none of this: {@link Json} escapes.
 */
final class Text {
    private Text() {
    }

    /** {@return {@code s} with every character a terminal would act on escaped} */
    static String shown(String s) {
        int i = 0;
        while (i < s.length() && !needsEscape(s, i)) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!needsEscape(s, i)) {
                b.append(c);
            } else if (c == '\\') {
                b.append("\\\\");
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x80) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    /** Whether the char at {@code i} is escaped: a control, a backslash, or see the class comment. */
    private static boolean needsEscape(String s, int i) {
        char c = s.charAt(i);
        if (c == '\\' || Character.isISOControl(c)) {
            return true;
        }
        if (Character.isHighSurrogate(c)) { // a pair is one printable character; a lone half is not
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }
}
