# Sourced by the scripts in scripts/: finds a JDK >= 25 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME if it is new enough, then macOS's /usr/libexec/java_home, then every JDK
# under /usr/lib/jvm and /Library/Java/JavaVirtualMachines (newest first). Fails with a clear
# message when none is found. Plain bash 3.2 (macOS's): no GNU-only options.

mp4j_java_feature() { # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release" v
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -r "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  fi
  echo "$v"
}

mp4j_find_jdk() {
  local need=25 cand v best="" bestv=0
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(mp4j_java_feature "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$need" ]; then best="$JAVA_HOME"; bestv=$v; fi
  fi
  if [ -z "$best" ] && [ -x /usr/libexec/java_home ]; then
    cand=$(/usr/libexec/java_home -v "$need+" 2>/dev/null || true)
    [ -n "$cand" ] || cand=/nonexistent
    v=$(mp4j_java_feature "$cand")
    if [ -n "$v" ] && [ "$v" -ge "$need" ]; then best="$cand"; bestv=$v; fi
  fi
  if [ -z "$best" ]; then
    for cand in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
      [ -d "$cand" ] || continue
      v=$(mp4j_java_feature "$cand")
      if [ -n "$v" ] && [ "$v" -ge "$need" ] && [ "$v" -gt "$bestv" ]; then best="$cand"; bestv=$v; fi
    done
  fi
  if [ -z "$best" ]; then
    echo "error: multiprocessing4j needs a JDK >= $need; none found in JAVA_HOME (${JAVA_HOME:-unset}), /usr/lib/jvm or /Library/Java/JavaVirtualMachines." >&2
    echo "       Install one (e.g. Temurin 25: apt-get install temurin-25-jdk) or set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
  # Maven 3.8's own libraries call sun.misc.Unsafe; keep JDK 25's warnings about that out of the output.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
  echo "using JDK $bestv at $JAVA_HOME" >&2
}

mp4j_require_mvn() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "error: Maven (mvn) is not on PATH; install it (apt-get install maven)." >&2
    return 1
  fi
}
