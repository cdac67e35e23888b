#!/usr/bin/env bash
# A library user's project (library-example/) that depends on quadrant-trainer alone: installs the artifacts into
# the local Maven repository (with their sources and Javadoc jars; Javadoc must build without a warning), prints the
# dependency tree the trainer brings, refuses one that brings the command line's dependencies, and trains from Java.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install -pl native-bindings,kernels,device,trainer -am
for m in native-bindings kernels device trainer; do
  for kind in sources javadoc; do
    ls "$m"/target/quadrant-"$m"-*-"$kind".jar >/dev/null || { echo "library-check: no $kind jar for $m" >&2; exit 1; }
  done
done
tree=$(mvn -B -q -f library-example/pom.xml dependency:tree -DoutputFile=/dev/stdout -Dscope=runtime)
echo "$tree"
if echo "$tree" | grep -E 'picocli|slf4j-simple|progressbar|xchart|quadrant-cli'; then
  echo "library-check: the trainer brings a command-line dependency (above)" >&2
  exit 1
fi
mvn -B -q -f library-example/pom.xml test
echo "library-check: ok"
