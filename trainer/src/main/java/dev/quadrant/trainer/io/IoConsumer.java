package dev.quadrant.trainer.io;

import java.io.IOException;

/**
 * A consumer that may throw {@link IOException}: the body that fills a file in {@link AtomicFiles#write}.
 *
 * <pre>{@code
 * AtomicFiles.write(path, out -> out.write(bytes));
 * }</pre>
 *
 * @param <T> what is consumed, typically an {@link java.io.OutputStream}
 */
@FunctionalInterface
public interface IoConsumer<T> {
    /** Consumes {@code value}. */
    void accept(T value) throws IOException;
}
