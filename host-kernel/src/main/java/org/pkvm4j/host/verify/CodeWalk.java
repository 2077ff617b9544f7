package org.pkvm4j.host.verify;

import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.AnnotationValue;
import java.lang.classfile.Attribute;
import java.lang.classfile.BootstrapMethodEntry;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeAnnotation;
import java.lang.classfile.attribute.AnnotationDefaultAttribute;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.attribute.LineNumberInfo;
import java.lang.classfile.attribute.LineNumberTableAttribute;
import java.lang.classfile.attribute.NestHostAttribute;
import java.lang.classfile.attribute.NestMembersAttribute;
import java.lang.classfile.attribute.PermittedSubclassesAttribute;
import java.lang.classfile.attribute.RecordAttribute;
import java.lang.classfile.attribute.RecordComponentInfo;
import java.lang.classfile.attribute.RuntimeInvisibleAnnotationsAttribute;
import java.lang.classfile.attribute.RuntimeInvisibleParameterAnnotationsAttribute;
import java.lang.classfile.attribute.RuntimeInvisibleTypeAnnotationsAttribute;
import java.lang.classfile.attribute.RuntimeVisibleAnnotationsAttribute;
import java.lang.classfile.attribute.RuntimeVisibleParameterAnnotationsAttribute;
import java.lang.classfile.attribute.RuntimeVisibleTypeAnnotationsAttribute;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantDynamicEntry;
import java.lang.classfile.constantpool.FieldRefEntry;
import java.lang.classfile.constantpool.InterfaceMethodRefEntry;
import java.lang.classfile.constantpool.LoadableConstantEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.invoke.MethodHandleInfo;
import java.lang.reflect.AccessFlag;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pkvm4j.host.verify.MemberResolver.Found;
import org.pkvm4j.host.verify.MemberResolver.Resolution;

/**
 * One verification of an EL2 jar's classes: the walk over every class file element and instruction
 * that {@link El2Verifier} runs, with the decisions taken so far (each distinct subject once per
 * jar) and the violations found.
 */
final class CodeWalk {
    private static final String NOT_ALLOWED = El2Verifier.NOT_ALLOWED;

    private final El2Allowlist allowlist;
    private final ModuleClasses own;
    private final RuntimeTypes types;
    private final MemberResolver resolver;
    private final List<Violation> violations;
    /** Subject to refusal reason ({@code ""}: fine), decided once per jar. */
    private final Map<String, String[]> decided = new HashMap<>();
    private final Set<String> reported = new HashSet<>();
    private String className;
    private String method;
    private int offset;
    /** The code being walked, for line numbers; null outside code. */
    private CodeAttribute code;

    CodeWalk(El2Allowlist allowlist, ModuleClasses own, RuntimeTypes types, List<Violation> violations) {
        this.allowlist = allowlist;
        this.own = own;
        this.types = types;
        this.violations = violations;
        this.resolver = new MemberResolver(this::local, types::jdk, n -> allowlist.admitsClass(n.replace('/', '.')));
    }

    private TypeInfo local(String internalName) {
        TypeInfo t = own.get(internalName);
        return t != null ? t : types.api(internalName);
    }

    void verifyClass(ClassModel model) {
        className = javaName(model.thisClass().asInternalName());
        at("", -1);
        if (model.superclass().isPresent()) {
            classRef("extends", model.superclass().get().asInternalName());
        }
        for (ClassEntry i : model.interfaces()) {
            classRef("implements", i.asInternalName());
        }
        attributes(model.attributes());
        for (FieldModel f : model.fields()) {
            at(f.fieldName().stringValue() + ":" + f.fieldType().stringValue(), -1);
            descriptor("declares a field of type", f.fieldType().stringValue());
            attributes(f.attributes());
        }
        for (MethodModel m : model.methods()) {
            String name = m.methodName().stringValue();
            String type = m.methodType().stringValue();
            at(name.concat(type), -1);
            if (m.flags().has(AccessFlag.SYNCHRONIZED)) {
                pseudo("is", "synchronized", El2Verifier.MONITOR);
            }
            if (m.flags().has(AccessFlag.NATIVE)) {
                pseudo("is", "native", El2Verifier.NATIVE);
            }
            if (name.equals("finalize") && type.equals("()V") && !m.flags().has(AccessFlag.STATIC)) {
                pseudo("declares", "a finalizer", El2Verifier.FINALIZER);
            }
            descriptor("has in its signature", type);
            attributes(m.attributes());
            if (m.code().isPresent()) {
                walkCode(m.code().get());
            }
        }
    }

    private void at(String member, int bci) {
        method = member;
        offset = bci;
    }

    // instanceof chains rather than pattern switches, lambdas or streams: each of those links a
    // call site on first use, and at boot this code runs once, cold.
    private void walkCode(CodeModel code) {
        this.code = code instanceof CodeAttribute a ? a : null;
        int bci = 0;
        for (CodeElement e : code) {
            if (e instanceof Instruction i) {
                offset = bci;
                instruction(i);
                bci += i.sizeInBytes();
            } else if (e instanceof RuntimeVisibleTypeAnnotationsAttribute a) {
                typeAnnotations(a.annotations());
            } else if (e instanceof RuntimeInvisibleTypeAnnotationsAttribute a) {
                typeAnnotations(a.annotations());
            }
        }
        for (ExceptionCatch c : code.exceptionHandlers()) {
            if (c.catchType().isPresent()) {
                String type = c.catchType().get().asInternalName();
                String element = ModuleClasses.elementClass(type);
                if (element != null && classReason(element) != null) {
                    offset = this.code == null ? -1 : this.code.labelToBci(c.handler());
                    classRef("catches", type);
                }
            }
        }
        this.code = null;
    }

    /**
     * The source line of {@code bci} in the code being walked, from its line number table; 0 if
     * none. Read only for a violation: the walk itself skips line numbers.
     */
    private int lineAt(int bci) {
        if (code == null || bci < 0) {
            return 0;
        }
        int line = 0;
        int best = -1;
        for (Attribute<?> a : code.attributes()) {
            if (a instanceof LineNumberTableAttribute table) {
                for (LineNumberInfo l : table.lineNumbers()) {
                    if (l.startPc() <= bci && l.startPc() > best) {
                        best = l.startPc();
                        line = l.lineNumber();
                    }
                }
            }
        }
        return line;
    }

    private void instruction(Instruction e) {
        if (e instanceof InvokeInstruction i) {
            member("calls", i.method(), i.method() instanceof InterfaceMethodRefEntry);
        } else if (e instanceof FieldInstruction f) {
            member(f.opcode() == Opcode.GETFIELD || f.opcode() == Opcode.GETSTATIC ? "reads" : "writes", f.field(), false);
        } else if (e instanceof NewObjectInstruction n) {
            classRef("instantiates", n.className().asInternalName());
        } else if (e instanceof TypeCheckInstruction t) {
            classRef(t.opcode() == Opcode.CHECKCAST ? "casts to" : "tests instanceof", t.type().asInternalName());
        } else if (e instanceof NewReferenceArrayInstruction a) {
            classRef("creates an array of", a.componentType().asInternalName());
        } else if (e instanceof NewMultiArrayInstruction a) {
            classRef("creates an array of", a.arrayType().asInternalName());
        } else if (e instanceof ConstantInstruction.LoadConstantInstruction l) {
            constant(l.constantEntry());
        } else if (e instanceof InvokeDynamicInstruction d) {
            descriptor("links a call site of type", d.invokedynamic().type().stringValue());
            bootstrap("links invokedynamic through", d.invokedynamic().bootstrap(), 0);
        } else if (e instanceof MonitorInstruction m && m.opcode() == Opcode.MONITORENTER) {
            pseudo("enters", "a monitor (synchronized block)", El2Verifier.MONITOR);
        }
    }

    private void constant(LoadableConstantEntry entry) {
        if (entry instanceof ClassEntry c) {
            classRef("loads the class constant", c.asInternalName());
        } else if (entry instanceof MethodHandleEntry h) {
            pseudo("loads a method handle constant", "to " + memberName(h.reference()), El2Verifier.HANDLE_CONSTANT);
        } else if (entry instanceof MethodTypeEntry t) {
            pseudo("loads a method type constant", t.descriptor().stringValue(), El2Verifier.HANDLE_CONSTANT);
        } else if (entry instanceof ConstantDynamicEntry d) {
            descriptor("loads a dynamic constant of type", d.type().stringValue());
            bootstrap("loads a dynamic constant through", d.bootstrap(), 0);
        }
    }

    /** A bootstrap method must be on the list exactly, even when it is the module's own: it receives a full-privilege lookup. */
    private void bootstrap(String action, BootstrapMethodEntry bootstrap, int depth) {
        MethodHandleEntry handle = bootstrap.bootstrapMethod();
        MemberRefEntry bsm = handle.reference();
        String owner = javaName(bsm.owner().asInternalName());
        String subject = owner + "." + bsm.name().stringValue() + bsm.type().stringValue();
        if (handle.kind() != MethodHandleInfo.REF_invokeStatic
                || !allowlist.admitsBootstrap(owner, bsm.name().stringValue(), bsm.type().stringValue())) {
            report(action, subject, El2Verifier.BOOTSTRAP);
        }
        if (depth >= El2Verifier.MAX_BOOTSTRAP_DEPTH) {
            report("nests dynamic constants deeper than", El2Verifier.MAX_BOOTSTRAP_DEPTH + " levels", El2Verifier.BOOTSTRAP);
            return;
        }
        // Its arguments are references too: the method handle of a lambda is the lambda's body.
        for (LoadableConstantEntry arg : bootstrap.arguments()) {
            if (arg instanceof ClassEntry c) {
                classRef("names in a bootstrap argument", c.asInternalName());
            } else if (arg instanceof MethodHandleEntry h) {
                member("takes a method handle to", h.reference(), h.reference() instanceof InterfaceMethodRefEntry);
            } else if (arg instanceof MethodTypeEntry t) {
                descriptor("names in a bootstrap argument", t.descriptor().stringValue());
            } else if (arg instanceof ConstantDynamicEntry c) {
                descriptor("loads a dynamic constant of type", c.type().stringValue());
                bootstrap("loads a dynamic constant through", c.bootstrap(), depth + 1);
            }
        }
    }

    private void member(String action, MemberRefEntry ref, boolean interfaceRef) {
        String owner = ref.owner().asInternalName();
        boolean field = ref instanceof FieldRefEntry;
        String name = ref.name().stringValue();
        String type = ref.type().stringValue();
        if (owner.startsWith("[")) {
            owner = "java/lang/Object"; // clone() and the rest of an array's methods are Object's
        }
        String key = field ? name + ":" + type : name + type;
        String subject = owner + "." + key + (interfaceRef ? "/I" : "");
        String[] d = decided.get(subject);
        if (d == null) {
            d = decideMember(owner, key, name, type, field, interfaceRef);
            decided.put(subject, d);
        }
        if (d.length > 0) {
            report(action, d[0], d[1]);
        }
    }

    /** {@code {}} when fine, else {@code {referenced, reason}}. */
    private String[] decideMember(String owner, String key, String name, String type, boolean field, boolean interfaceRef) {
        String written = javaName(owner) + "." + key;
        if (classReason(owner) != null) {
            return new String[] {written, NOT_ALLOWED};
        }
        Resolution r = field ? resolver.field(owner, key) : resolver.method(owner, key, interfaceRef);
        if (r.blockedAt() != null) {
            String at = javaName(r.blockedAt()) + "." + key;
            return new String[] {at.equals(written) ? written : at + " (through " + javaName(owner) + ")", NOT_ALLOWED};
        }
        if (r.found().isEmpty()) {
            // A JDK member that does not resolve (a signature-polymorphic invoke, a forged name) is simply not listed.
            TypeInfo named = local(owner);
            return new String[] {written, named != null ? El2Verifier.UNRESOLVED : NOT_ALLOWED};
        }
        for (Found f : r.found()) {
            TypeInfo t = f.declarer();
            boolean fine = switch (t.realm()) {
                case OWN -> true;
                case API -> (t.flags(key) & TypeInfo.VISIBLE) != 0;
                case JDK -> allowlist.admitsMember(javaName(f.judgedAs()), name, type);
            };
            if (!fine) {
                String at = javaName(f.judgedAs()) + "." + key;
                return new String[] {at.equals(written) ? written : at + " (through " + javaName(owner) + ")", NOT_ALLOWED};
            }
        }
        return new String[0];
    }

    private void classRef(String action, String internalName) {
        String c = ModuleClasses.elementClass(internalName);
        if (c == null) {
            return;
        }
        String reason = classReason(c);
        if (reason != null) {
            report(action, javaName(c), reason);
        }
    }

    /** Null if EL2 code may name class {@code c} (an internal name, not an array), else why not. */
    private String classReason(String c) {
        String[] d = decided.get(c);
        if (d == null) {
            boolean fine = own.contains(c) || types.api(c) != null || allowlist.admitsClass(javaName(c));
            d = fine ? new String[0] : new String[] {NOT_ALLOWED};
            decided.put(c, d);
        }
        return d.length == 0 ? null : d[0];
    }

    /** Every class in a field or method descriptor. */
    private void descriptor(String action, String descriptor) {
        for (int i = descriptor.indexOf('L'); i >= 0; i = descriptor.indexOf('L', i)) {
            int end = descriptor.indexOf(';', i);
            if (end < 0) {
                return;
            }
            classRef(action, descriptor.substring(i + 1, end));
            i = end + 1;
        }
    }

    private void attributes(List<Attribute<?>> attributes) {
        for (Attribute<?> a : attributes) {
            if (a instanceof RuntimeVisibleAnnotationsAttribute v) {
                annotations(v.annotations());
            } else if (a instanceof RuntimeInvisibleAnnotationsAttribute v) {
                annotations(v.annotations());
            } else if (a instanceof RuntimeVisibleParameterAnnotationsAttribute v) {
                v.parameterAnnotations().forEach(this::annotations);
            } else if (a instanceof RuntimeInvisibleParameterAnnotationsAttribute v) {
                v.parameterAnnotations().forEach(this::annotations);
            } else if (a instanceof RuntimeVisibleTypeAnnotationsAttribute v) {
                typeAnnotations(v.annotations());
            } else if (a instanceof RuntimeInvisibleTypeAnnotationsAttribute v) {
                typeAnnotations(v.annotations());
            } else if (a instanceof AnnotationDefaultAttribute v) {
                annotationValue(v.defaultValue());
            } else if (a instanceof NestHostAttribute v) {
                classRef("names as its nest host", v.nestHost().asInternalName());
            } else if (a instanceof NestMembersAttribute v) {
                v.nestMembers().forEach(c -> classRef("names as a nest member", c.asInternalName()));
            } else if (a instanceof PermittedSubclassesAttribute v) {
                v.permittedSubclasses().forEach(c -> classRef("permits the subclass", c.asInternalName()));
            } else if (a instanceof RecordAttribute v) {
                for (RecordComponentInfo c : v.components()) {
                    descriptor("has a record component of type", c.descriptor().stringValue());
                    attributes(c.attributes());
                }
            }
        }
    }

    private void typeAnnotations(List<TypeAnnotation> annotations) {
        for (TypeAnnotation t : annotations) {
            annotation(t.annotation());
        }
    }

    private void annotations(List<Annotation> annotations) {
        annotations.forEach(this::annotation);
    }

    private void annotation(Annotation a) {
        descriptor("is annotated with", a.className().stringValue());
        for (AnnotationElement e : a.elements()) {
            annotationValue(e.value());
        }
    }

    private void annotationValue(AnnotationValue v) {
        if (v instanceof AnnotationValue.OfClass c) {
            descriptor("names in an annotation", c.className().stringValue());
        } else if (v instanceof AnnotationValue.OfEnum e) {
            descriptor("names in an annotation", e.className().stringValue());
        } else if (v instanceof AnnotationValue.OfAnnotation a) {
            annotation(a.annotation());
        } else if (v instanceof AnnotationValue.OfArray a) {
            a.values().forEach(this::annotationValue);
        }
    }

    private void pseudo(String action, String what, String reason) {
        report(action, what, reason);
    }

    /** Records a violation once: a method that names the same refused member twice has one, at the first place. */
    private void report(String action, String referenced, String reason) {
        if (reported.add(className + '\0' + method + '\0' + action + '\0' + referenced)) {
            String why = reason.equals(NOT_ALLOWED) ? RefusalHints.explain(reason, referenced) : reason;
            violations.add(new Violation(className, method, offset, lineAt(offset), action, referenced, why));
        }
    }

    private static String memberName(MemberRefEntry ref) {
        return javaName(ref.owner().asInternalName()) + "." + ref.name().stringValue()
                + (ref instanceof FieldRefEntry ? ":" : "") + ref.type().stringValue();
    }

    private static String javaName(String internalName) {
        return El2Verifier.javaName(internalName);
    }
}
