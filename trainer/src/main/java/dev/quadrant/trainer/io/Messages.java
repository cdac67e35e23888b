package dev.quadrant.trainer.io;

/** Helpers for one-line error messages that quote what a file contained. */
final class Messages {
    private static final int MAX_SHOWN = 80;

    private Messages() {}

    /**
     * {@code s} in double quotes, with quotes and backslashes escaped, and control characters and the middle of a
     * long string handled as by {@link #escape}.
     */
    static String quote(String s) {
        return '"' + shorten(s, true) + '"';
    }

    /**
     * {@code s} with control characters and unpaired surrogates as {@code \\uXXXX} and the middle of a long string
     * elided, so that text from a hostile file cannot break a message over several lines or fill a terminal.
     */
    static String escape(String s) {
        return shorten(s, false);
    }

    private static String shorten(String s, boolean quoting) {
        int n = s.length();
        StringBuilder b = new StringBuilder(Math.min(n, MAX_SHOWN) + 8);
        for (int i = 0; i < n; i++) {
            if (n > MAX_SHOWN && i == MAX_SHOWN / 2) {
                b.append("...");
                i = n - MAX_SHOWN / 2 - 1;
                continue;
            }
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                    ? i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1)) && (n <= MAX_SHOWN || i + 1 != MAX_SHOWN / 2)
                    : Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))
                            && b.length() > 0 && b.charAt(b.length() - 1) == s.charAt(i - 1);
            if (quoting && (c == '"' || c == '\\')) {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !paired) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
