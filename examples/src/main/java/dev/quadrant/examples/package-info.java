/**
 * Example and benchmark programs. Run any of them with
 * {@code java -cp "examples/target/quadrant-examples-*.jar:examples/target/lib/*" CLASS} after {@code mvn package},
 * or with {@code bin/quadrant-example CLASS_SIMPLE_NAME}.
 */
package dev.quadrant.examples;
