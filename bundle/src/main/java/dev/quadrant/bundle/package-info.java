/**
 * The self-contained bundle for GPU hosts without a JDK ({@code mvn -Pbundle package}, see {@code bundle/pom.xml}),
 * and {@link dev.quadrant.bundle.BundleCheck}, a smoke test of the assembled runtime.
 *
 * <p>Depends on: every other module (it packages them).
 */
package dev.quadrant.bundle;
