package org.pkvm4j.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** pkvm4j-bom lists every published org.pkvm4j artifact of the reactor, and nothing else. */
class BomTest {
    private static final Path ROOT = Path.of(System.getProperty("pkvm4j.it.root"));
    /** Reactor modules that are never published: the build's own tests, fuzz targets and benchmarks, the bundled examples, the BOM itself. */
    private static final Set<String> INTERNAL = Set.of("pkvm4j-integration-tests", "pkvm4j-fuzz", "pkvm4j-bench", "vendor-modules", "pkvm4j-bom");

    @Test
    void theBomListsEveryPublishedModule() throws IOException {
        Set<String> published = new TreeSet<>();
        for (String module : all(Files.readString(ROOT.resolve("pom.xml")), "<module>(.*?)</module>")) {
            String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
            String artifactId = pom.replaceFirst("(?s)<parent>.*?</parent>", "").replaceAll("(?s)<!--.*?-->", "")
                    .replaceFirst("(?s).*?<artifactId>(.*?)</artifactId>.*", "$1");
            if (!INTERNAL.contains(artifactId)) {
                published.add(artifactId);
            }
        }
        String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
        String managed = bom.substring(bom.indexOf("<dependencyManagement>"));
        assertEquals(published, new TreeSet<>(all(managed, "<artifactId>(.*?)</artifactId>")));
        assertEquals(List.of("org.pkvm4j"), all(managed, "<groupId>(.*?)</groupId>").stream().distinct().toList());
    }

    private static List<String> all(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }
}
