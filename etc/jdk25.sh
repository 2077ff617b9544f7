# Sourced by ./pkvm and .ci/run: finds a JDK 25 and exports JAVA_HOME, or exits with a message.
# Order: $JAVA_HOME, the java on PATH, then the usual install places (Debian/Ubuntu /usr/lib/jvm,
# /opt, SDKMAN, macOS).

pkvm4j_java_feature() { # prints the feature release of the JDK at $1 (e.g. 25), or nothing
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

pkvm4j_find_jdk25() {
    local candidates=() c
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    if command -v javac >/dev/null 2>&1; then
        candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
    fi
    for c in /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/*jdk* "$HOME"/.sdkman/candidates/java/* \
             /Library/Java/JavaVirtualMachines/*/Contents/Home; do
        [ -d "$c" ] && candidates+=("$c")
    done
    for c in "${candidates[@]}"; do
        local v
        v=$(pkvm4j_java_feature "$c")
        if [ -n "$v" ] && [ "$v" -ge 25 ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

if ! PKVM4J_JDK=$(pkvm4j_find_jdk25); then
    echo "pkvm4j needs a JDK 25 (java and javac), and none was found." >&2
    echo "Looked at \$JAVA_HOME (${JAVA_HOME:-unset}), the java on PATH, /usr/lib/jvm, /opt and ~/.sdkman." >&2
    echo "Install one (for example Temurin 25) and set JAVA_HOME to it." >&2
    exit 1
fi
export JAVA_HOME="$PKVM4J_JDK"
unset PKVM4J_JDK
