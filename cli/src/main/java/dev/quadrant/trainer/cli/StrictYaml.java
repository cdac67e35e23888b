package dev.quadrant.trainer.cli;

import java.io.StringReader;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.Messages;

/**
 * What a YAML configuration file may contain, checked on SnakeYAML's events before the file is read as a tree:
 * one document; no anchors, aliases or tags; numbers only in plain decimal form ({@code 3}, {@code -1},
 * {@code 0.001}, {@code 1e-3}). YAML 1.1 reads {@code 010} as 8, {@code 0x10} as 16, {@code 1_000} as 1000 and
 * {@code 1:30} as 90, a second document is silently dropped and an alias stands for another value: each would make a
 * config mean something other than what it shows, so each is refused with the line and what to write instead (quote
 * the value if it is text). Stateless.
 *
 * <pre>{@code
 * StrictYaml.check(text, "--config run.yaml");   // throws UserInputException naming the line
 * }</pre>
 */
public final class StrictYaml {
    /** Plain scalars YAML 1.1 turns into numbers other than their decimal reading. */
    private static final Pattern NON_DECIMAL = Pattern.compile(
            "[-+]?(0[0-9_]+|0[xXoObB][0-9a-fA-F_]*|[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?|[0-9.]*_[0-9_.eE+-]*"
                    + "|\\.(inf|Inf|INF|nan|NaN|NAN))");

    private StrictYaml() {}

    /**
     * Checks {@code text} against the rules above.
     *
     * @param source names the file in messages, e.g. {@code --config run.yaml}
     * @throws UserInputException naming the source, the line and the rule
     */
    public static void check(String text, String source) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(0);
        int documents = 0;
        try {
            for (Event e : new Yaml(options).parse(new StringReader(text))) {
                int line = e.getStartMark() == null ? 0 : e.getStartMark().getLine() + 1;
                if (e instanceof DocumentStartEvent && ++documents > 1) {
                    throw fail(source, line, "a second YAML document ('---')", "one mapping of option names to "
                            + "values; put every option in the first document");
                }
                if (e instanceof AliasEvent a) {
                    throw fail(source, line, "an alias (*" + Messages.escape(a.getAnchor()) + ")",
                            "each value written out (aliases and anchors are not part of a config)");
                }
                if (e instanceof NodeEvent n && n.getAnchor() != null) {
                    throw fail(source, line, "an anchor (&" + Messages.escape(n.getAnchor()) + ")",
                            "each value written out (aliases and anchors are not part of a config)");
                }
                if (e instanceof ScalarEvent s) {
                    if (s.getTag() != null && !s.getImplicit().canOmitTagInPlainScalar()
                            && !s.getImplicit().canOmitTagInNonPlainScalar()) {
                        throw fail(source, line, "a tag (" + Messages.escape(s.getTag()) + ")",
                                "plain values (tags are not part of a config)");
                    }
                    if (s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN && NON_DECIMAL.matcher(s.getValue()).matches()) {
                        throw fail(source, line, "the value " + Messages.escape(s.getValue()) + ", which YAML reads as a "
                                + "number other than its decimal digits (octal, hexadecimal, base 60, '_' "
                                + "separators, or .inf/.nan)", "a plain decimal number such as 10, or the value in "
                                + "quotes if it is text");
                    }
                } else if (e instanceof org.yaml.snakeyaml.events.CollectionStartEvent c && c.getTag() != null
                        && !c.getImplicit()) {
                    throw fail(source, line, "a tag (" + Messages.escape(c.getTag()) + ")",
                            "plain values (tags are not part of a config)");
                }
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw fail(source, line, "not valid YAML: " + Messages.escape(String.valueOf(e.getProblem())),
                    "a YAML mapping such as 'epochs: 3'");
        } catch (YAMLException e) {
            throw new UserInputException(source + ": not valid YAML: " + Messages.escape(String.valueOf(e.getMessage())), e);
        }
    }

    private static UserInputException fail(String source, int line, String seen, String expected) {
        return new UserInputException(source + (line > 0 ? ": line " + line : "") + ": " + seen + "; expected "
                + expected);
    }
}
