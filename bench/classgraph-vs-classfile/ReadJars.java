import io.github.classgraph.*;
import java.lang.classfile.*;
import java.lang.classfile.attribute.RuntimeVisibleAnnotationsAttribute;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

/**
 * ADR 0012's measurement: reads every class of the given jars into an ABI-like listing (class, super,
 * interfaces, annotations, fields, methods) with the JDK's Class-File API or with ClassGraph, and
 * prints the time from main() to the sorted listing, cold (one JVM per run). Run by run.sh.
 */
public class ReadJars {
    public static void main(String[] a) throws Exception {
        long t0 = System.nanoTime();
        String mode = a[0];
        List<String> jars = Arrays.asList(a).subList(1, a.length);
        List<String> lines = mode.equals("jdk") ? jdk(jars) : classgraph(jars);
        Collections.sort(lines);
        long t1 = System.nanoTime();
        System.out.printf("%s %.1f ms %d lines %08x%n", mode, (t1 - t0) / 1e6, lines.size(), lines.hashCode());
    }

    static List<String> jdk(List<String> jars) throws Exception {
        List<String> out = new ArrayList<>();
        ClassFile cf = ClassFile.of();
        for (String j : jars) {
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(Path.of(j)))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    if (!e.getName().endsWith(".class") || e.getName().endsWith("module-info.class")) continue;
                    ClassModel m = cf.parse(in.readAllBytes());
                    String c = m.thisClass().asInternalName().replace('/', '.');
                    StringBuilder ann = new StringBuilder();
                    m.findAttribute(Attributes.runtimeVisibleAnnotations()).ifPresent(at -> at.annotations()
                            .forEach(x -> ann.append(x.className().stringValue())));
                    out.add("C " + c + " " + m.flags().flagsMask() + " " + m.superclass().map(s -> s.asInternalName().replace('/', '.')).orElse("")
                            + " " + m.interfaces().stream().map(i -> i.asInternalName().replace('/', '.')).toList() + " " + ann);
                    for (FieldModel f : m.fields()) out.add("F " + c + "." + f.fieldName() + " " + f.fieldType() + " " + f.flags().flagsMask());
                    for (MethodModel mm : m.methods()) out.add("M " + c + "." + mm.methodName() + mm.methodType() + " " + mm.flags().flagsMask());
                }
            }
        }
        return out;
    }

    static List<String> classgraph(List<String> jars) {
        List<String> out = new ArrayList<>();
        try (ScanResult r = new ClassGraph().overrideClasspath(jars).enableClassInfo().enableMethodInfo().enableFieldInfo()
                .enableAnnotationInfo().ignoreClassVisibility().ignoreMethodVisibility().ignoreFieldVisibility().scan()) {
            for (ClassInfo ci : r.getAllClasses()) {
                if (ci.isExternalClass()) continue;
                String c = ci.getName();
                StringBuilder ann = new StringBuilder();
                ci.getAnnotationInfo().forEach(x -> ann.append(x.getName().replace('.', '/').replaceAll("^", "L") + ";"));
                ClassInfo sup = ci.getSuperclass();
                out.add("C " + c + " " + ci.getModifiers() + " " + (sup == null ? (ci.isInterface() ? "java.lang.Object" : "") : sup.getName())
                        + " " + ci.getInterfaces().getNames() + " " + ann);
                for (FieldInfo f : ci.getDeclaredFieldInfo()) out.add("F " + c + "." + f.getName() + " " + f.getTypeDescriptorStr() + " " + f.getModifiers());
                for (MethodInfo m : ci.getDeclaredMethodAndConstructorInfo()) out.add("M " + c + "." + m.getName() + m.getTypeDescriptorStr() + " " + m.getModifiers());
            }
        }
        return out;
    }
}
