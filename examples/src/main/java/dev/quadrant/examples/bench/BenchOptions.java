package dev.quadrant.examples.bench;

import dev.quadrant.device.UserInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * The command-line flags of {@link CollectivesBenchmark}; see {@link #USAGE}. Immutable once parsed.
 */
final class BenchOptions {
    static final String USAGE = String.join("\n",
            "usage: CollectivesBenchmark [flags]",
            "  --replicas LIST   replica counts N of the table, e.g. 2,4,8,16      (default 2,4,8,16)",
            "  --sizes LIST      floats P per replica of the table, e.g. 1e4,1e6   (default 1e4,1e5,1e6,1e7)",
            "  --full            the whole table: N = 2,4,8,16 and P = 1e4 ... 1e8 (needs ~7 GB of direct memory:",
            "                    run java with -XX:MaxDirectMemorySize=8g; cells that do not fit are skipped)",
            "  --bus-mb MB       size of the bus-bandwidth all-reduce and of the copy test (default 64)",
            "  --min-time-ms MS  time each table cell runs at least, per strategy (default 150)",
            "  --max-mem-gb GB   skip table cells whose buffers need more than this (default 80% of -Xmx,",
            "                    the default limit of direct memory)",
            "  --skip-table      only the copy and bus-bandwidth measurements",
            "  --help            this text");

    List<Integer> replicas = List.of(2, 4, 8, 16);
    List<Long> sizes = List.of(10_000L, 100_000L, 1_000_000L, 10_000_000L);
    int busMb = 64;
    long minTimeMs = 150;
    double maxMemGb = 0.8 * Runtime.getRuntime().maxMemory() / 1e9;
    boolean table = true;
    boolean help;

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--help", "-h" -> o.help = true;
                case "--full" -> {
                    o.replicas = List.of(2, 4, 8, 16);
                    o.sizes = List.of(10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L);
                }
                case "--skip-table" -> o.table = false;
                case "--replicas" -> o.replicas = positiveList(flag, value(args, ++i, flag)).stream()
                        .map(Math::toIntExact).toList();
                case "--sizes" -> o.sizes = positiveList(flag, value(args, ++i, flag));
                case "--bus-mb" -> o.busMb = Math.toIntExact(positive(flag, value(args, ++i, flag)));
                case "--min-time-ms" -> o.minTimeMs = positive(flag, value(args, ++i, flag));
                case "--max-mem-gb" -> o.maxMemGb = positive(flag, value(args, ++i, flag));
                default -> throw new UserInputException("unknown flag '" + flag + "'; expected one of --replicas, "
                        + "--sizes, --full, --bus-mb, --min-time-ms, --max-mem-gb, --skip-table, --help");
            }
        }
        return o;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new UserInputException("flag " + flag + " needs a value");
        }
        return args[i];
    }

    private static List<Long> positiveList(String flag, String text) {
        List<Long> out = new ArrayList<>();
        for (String part : text.split(",")) {
            out.add(positive(flag, part.trim()));
        }
        return List.copyOf(out);
    }

    /** A positive whole number, also written as 1e6 or 10_000. */
    private static long positive(String flag, String text) {
        double v;
        try {
            v = Double.parseDouble(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UserInputException("flag " + flag + ": '" + text + "' is not a number; expected e.g. 1000 or 1e6");
        }
        if (!(v >= 1) || v != Math.rint(v) || v > Integer.MAX_VALUE) {
            throw new UserInputException("flag " + flag + ": " + text + " is not a whole number in [1, "
                    + Integer.MAX_VALUE + "]");
        }
        return (long) v;
    }
}
