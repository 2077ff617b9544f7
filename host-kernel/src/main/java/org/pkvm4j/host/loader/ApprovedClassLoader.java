package org.pkvm4j.host.loader;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.BiFunction;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The class loader of one vendor layer: it defines only the bytes {@link ApprovedClasses}
 * approved, found by the binary name the JVM asks for, and resolves every other name as the
 * module's exception level allows.
 *
 * <p>Kernel counterpart: {@code load_module()}'s relocation against the symbols the module may
 * link to: an EL1 module against the kernel's exports, an EL2 module against the hypervisor's
 * module interface alone. Lookup, in order:
 * <ol>
 *   <li>a package of the module itself: the class already defined, or the approved entry of that
 *       name, defined after its digest was checked again (for EL2, through the hooks' transform),
 *       or a class the hooks generated; any other name there is {@link ClassNotFoundException};</li>
 *   <li>a package exported by a module this one reads in a parent layer: that module's class
 *       (for EL2, only {@code org.pkvm4j.api} is read);</li>
 *   <li>EL1: the platform class loader. EL2: a {@code java.base} class, only if the run-time
 *       allow-list admits its name; anything else is {@link ClassNotFoundException}, which the JVM
 *       turns into a {@code NoClassDefFoundError} inside EL2 code, hence a hyp panic.</li>
 * </ol>
 * The JDK's own loader for layers ({@code defineModulesWithOneLoader}) would define whatever its
 * module reader serves under the name asked for; this one defines nothing the checks did not see.
 */
final class ApprovedClassLoader extends ClassLoader {
    static {
        registerAsParallelCapable();
    }

    private final JarImage jar;
    private final ApprovedClasses approved;
    private final Map<String, Module> remotePackages;
    private final Predicate<String> jdkAdmitted;
    private final ClassLoader fallback;
    private final BiFunction<String, byte[], byte[]> transform;
    private final Map<String, byte[]> generated;

    /**
     * An EL1 loader, or an EL2 loader when {@code jdkAdmitted} is given.
     *
     * @param remotePackages each package exported to the module by a module it reads, with that module
     * @param jdkAdmitted for EL2, the JDK classes it may resolve; null for EL1 (the platform loader)
     * @param hooks for EL2, the transform and generated classes
     */
    ApprovedClassLoader(String name, JarImage jar, ApprovedClasses approved, Map<String, Module> remotePackages,
            Predicate<String> jdkAdmitted, El2ClassHooks hooks) {
        super(name, jdkAdmitted == null ? ClassLoader.getPlatformClassLoader() : null);
        this.jar = jar;
        this.approved = approved;
        this.remotePackages = Map.copyOf(remotePackages);
        this.jdkAdmitted = jdkAdmitted;
        this.fallback = jdkAdmitted == null ? ClassLoader.getPlatformClassLoader() : null;
        this.transform = hooks.transform();
        this.generated = hooks.generated();
        for (String g : generated.keySet()) {
            if (!approved.packages().contains(packageOf(g)) || approved.entryOf(g).isPresent()) {
                throw new IllegalArgumentException("generated class " + g + " must be in a package of "
                        + approved.moduleName() + " and named unlike its classes");
            }
        }
    }

    @Override
    protected Class<?> loadClass(String cn, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(cn)) {
            Class<?> c = findLoadedClass(cn);
            if (c == null) {
                String pn = packageOf(cn);
                if (approved.packages().contains(pn)) {
                    c = defineOwn(cn);
                } else {
                    c = loadOther(pn, cn);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private Class<?> loadOther(String pn, String cn) throws ClassNotFoundException {
        Module remote = remotePackages.get(pn);
        if (remote != null) {
            Class<?> c = Class.forName(remote, cn);
            if (c == null) {
                throw new ClassNotFoundException(cn + " (not in " + remote.getName() + ")");
            }
            return c;
        }
        if (fallback != null) {
            return fallback.loadClass(cn);
        }
        if (!jdkAdmitted.test(cn)) {
            throw new ClassNotFoundException(cn + ": EL2 module " + approved.moduleName()
                    + " may not use it (not on the EL2 allow-list of JDK classes)");
        }
        Class<?> c = Class.forName(Object.class.getModule(), cn);
        if (c == null) {
            throw new ClassNotFoundException(cn + " (not in java.base)");
        }
        return c;
    }

    /** Defines class {@code cn} of the module from its approved bytes, or a generated class. */
    private Class<?> defineOwn(String cn) throws ClassNotFoundException {
        Optional<String> entry = approved.entryOf(cn);
        if (entry.isEmpty()) {
            byte[] extra = generated.get(cn);
            if (extra == null) {
                throw new ClassNotFoundException(cn + " (no approved class of that name in " + approved.moduleName() + ")");
            }
            return defineClass(cn, extra, 0, extra.length);
        }
        // A copy, this define's own (the transform may change it): the image hands out no array of its own.
        byte[] bytes = jar.entry(entry.get()).orElse(null);
        // Checked again at define time, on the very bytes defined: what was approved is what runs.
        if (bytes == null || !approved.isApproved(cn, bytes)) {
            throw new ClassNotFoundException(cn + ": the bytes of " + jar.label() + "!/" + entry.get()
                    + " are not the approved bytes (digest differs); refused");
        }
        byte[] defined = transform.apply(cn, bytes);
        return defineClass(cn, defined, 0, defined.length);
    }

    @Override
    protected Class<?> findClass(String cn) throws ClassNotFoundException {
        if (!approved.packages().contains(packageOf(cn))) {
            throw new ClassNotFoundException(cn);
        }
        return loadClass(cn, false);
    }

    /** {@code Class.forName(module, name)}, the hypervisor's linker and {@code ServiceLoader} come here. */
    @Override
    protected Class<?> findClass(String moduleName, String cn) {
        if (!approved.moduleName().equals(moduleName) || !approved.packages().contains(packageOf(cn))) {
            return null;
        }
        try {
            return loadClass(cn, false);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    /** The module's own resources other than class files, as the JDK's loaders serve them. */
    @Override
    protected URL findResource(String moduleName, String name) {
        if (!approved.moduleName().equals(moduleName) || name.endsWith(".class")) {
            return null;
        }
        return jar.entry(name).map(bytes -> url(name, bytes)).orElse(null);
    }

    /** A resource outside the module's packages (not encapsulated), for {@code ClassLoader.getResource}. */
    @Override
    protected URL findResource(String name) {
        int slash = name.lastIndexOf('/');
        String pn = slash < 0 ? "" : name.substring(0, slash).replace('/', '.');
        return approved.packages().contains(pn) ? null : findResource(approved.moduleName(), name);
    }

    private URL url(String name, byte[] bytes) {
        try {
            URI uri = new URI("pkvm-module", null, "/" + approved.moduleName() + "/" + name, null);
            return URL.of(uri, new EntryHandler(bytes));
        } catch (URISyntaxException | java.net.MalformedURLException e) {
            return null;
        }
    }

    private static String packageOf(String cn) {
        int dot = cn.lastIndexOf('.');
        return dot < 0 ? "" : cn.substring(0, dot);
    }

    /** Serves one in-memory entry: a module file has no location a {@code jar:} URL could name. */
    private static final class EntryHandler extends URLStreamHandler {
        private final byte[] bytes;

        EntryHandler(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        protected URLConnection openConnection(URL u) {
            return new URLConnection(u) {
                @Override
                public void connect() {
                }

                @Override
                public InputStream getInputStream() {
                    return new ByteArrayInputStream(bytes);
                }
            };
        }
    }
}
