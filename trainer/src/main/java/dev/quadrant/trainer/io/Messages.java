package dev.quadrant.trainer.io;

/**
 * The one escaping helper for text from files, keys and options that goes into messages: {@link #quote} and
 * {@link #escape} for a value inside a message, {@link #printable} for a whole message on its way to a terminal (the
 * command line passes every error through it), so that a hostile file name, key or value cannot send terminal control
 * sequences. Stateless.
 */
public final class Messages {
    private static final int MAX_SHOWN = 80;

    private Messages() {}

    /**
     * {@code s} in double quotes, with quotes and backslashes escaped, and control characters and the middle of a
     * long string handled as by {@link #escape}.
     */
    public static String quote(String s) {
        return '"' + shorten(s, true) + '"';
    }

    /**
     * {@code s} with control characters and unpaired surrogates as {@code \\uXXXX} and the middle of a long string
     * elided, so that text from a hostile file cannot break a message over several lines or fill a terminal.
     */
    public static String escape(String s) {
        return shorten(s, false);
    }

    /**
     * {@code message} with every control character except line breaks and tabs (C0, DEL, C1) and every unpaired
     * surrogate as {@code \\uXXXX}; nothing is shortened. For whole messages printed to a terminal.
     */
    public static String printable(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder b = null;
        int n = message.length();
        for (int i = 0; i < n; i++) {
            char c = message.charAt(i);
            boolean unpaired = Character.isHighSurrogate(c) ? i + 1 >= n || !Character.isLowSurrogate(message.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(message.charAt(i - 1)));
            boolean control = c != '\n' && c != '\t' && (c < 0x20 || c >= 0x7f && c <= 0x9f);
            if (control || unpaired) {
                if (b == null) {
                    b = new StringBuilder(n + 16).append(message, 0, i);
                }
                b.append(String.format("\\u%04x", (int) c));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? message : b.toString();
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
