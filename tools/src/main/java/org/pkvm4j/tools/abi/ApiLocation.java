package org.pkvm4j.tools.abi;

import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Path;
import org.pkvm4j.api.Errno;

/** Where the {@code org.pkvm4j.api} this tool runs with comes from: its jar, or a build's class directory. */
public final class ApiLocation {
    private static final String PROBE = "Errno.class";

    private ApiLocation() {
    }

    /**
     * The jar or classes directory holding the running API. Found through a class file's URL, not the
     * protection domain: a build tool's class loader (Maven's exec:java) may leave the code source empty.
     */
    public static Path running() {
        URL url = Errno.class.getResource(PROBE);
        try {
            if (url == null) {
                throw new IllegalStateException("no " + PROBE + " resource");
            }
            if (url.getProtocol().equals("jar")) {
                return Path.of(((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
            }
            // file:/.../classes/org/pkvm4j/api/Errno.class -> file:/.../classes
            Path classFile = Path.of(url.toURI());
            return classFile.getParent().getParent().getParent().getParent();
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the running org.pkvm4j.api (" + url + "): " + e.getMessage(), e);
        }
    }
}
