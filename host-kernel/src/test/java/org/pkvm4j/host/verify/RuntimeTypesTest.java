package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuntimeTypesTest {
    @Test
    void descriptorsAreTheJdksOwnForEveryMethodOfTheseClasses() {
        int checked = 0;
        for (Class<?> c : List.of(String.class, Math.class, java.util.HashMap.class, java.util.Arrays.class,
                java.lang.invoke.VarHandle.class, StringBuilder.class, int[][].class.getComponentType())) {
            for (Method m : c.getDeclaredMethods()) {
                assertEquals(MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString(),
                        RuntimeTypes.descriptor(m.getReturnType(), m.getParameterTypes()), m.toString());
                checked++;
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                assertEquals(MethodType.methodType(void.class, k.getParameterTypes()).toMethodDescriptorString(),
                        RuntimeTypes.descriptor(void.class, k.getParameterTypes()), k.toString());
                checked++;
            }
        }
        assertEquals(true, checked > 500, "methods checked: " + checked);
    }
}
