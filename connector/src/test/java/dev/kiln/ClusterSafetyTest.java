/*
 * Copyright 2026 The Kiln Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the
 * License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 * either express or implied. See the License for the specific language governing permissions
 * and limitations under the License.
 */

package dev.kiln;

import org.apache.flink.annotation.Experimental;
import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * What Kiln must get right to run on a real cluster of processes, where one TaskManager runs many
 * jobs, each in its own class loader, and the {@code sql} jar (with its dependencies relocated) may
 * sit in {@code lib/} beside a job jar built against the plain connector.
 */
@AnalyzeClasses(packages = "dev.kiln", importOptions = ImportOption.DoNotIncludeTests.class)
class ClusterSafetyTest {

    /**
     * The packages the {@code sql} jar relocates under {@code dev.kiln.shaded} (connector/pom.xml).
     */
    static final List<String> RELOCATED =
            List.of(
                    "org.apache.arrow",
                    "com.github.benmanes.caffeine",
                    "com.fasterxml.jackson",
                    "com.google.flatbuffers",
                    "org.apache.commons.codec",
                    "org.apache.commons.compress",
                    "org.apache.commons.io");

    @ArchTest
    static final ArchRule NO_JDK_DELAY_SCHEDULER =
            noClasses()
                    .should()
                    .callMethod(
                            CompletableFuture.class,
                            "completeOnTimeout",
                            Object.class,
                            long.class,
                            java.util.concurrent.TimeUnit.class)
                    .orShould()
                    .callMethod(
                            CompletableFuture.class,
                            "orTimeout",
                            long.class,
                            java.util.concurrent.TimeUnit.class)
                    .orShould()
                    .callMethod(
                            CompletableFuture.class,
                            "delayedExecutor",
                            long.class,
                            java.util.concurrent.TimeUnit.class)
                    .orShould()
                    .callMethod(
                            CompletableFuture.class,
                            "delayedExecutor",
                            long.class,
                            java.util.concurrent.TimeUnit.class,
                            java.util.concurrent.Executor.class)
                    .because(
                            "they run on the JDK's static delay-scheduler thread, which the first"
                                    + " caller starts: started from a task thread it keeps that"
                                    + " job's class loader reachable for the TaskManager's life, and"
                                    + " nothing cancels its tasks when a job ends. Kiln schedules on"
                                    + " timers it owns (an operator's ProcessingTimeService, or a"
                                    + " KilnThreads timer shut down with its owner)");

    @ArchTest
    static final ArchRule PUBLIC_API_NAMES_NO_RELOCATED_TYPE =
            members()
                    .that(arePublicOrProtectedApi())
                    .should(nameNoRelocatedType())
                    .because(
                            "the sql jar relocates these packages under dev.kiln.shaded: a job jar"
                                    + " built against flink-connector-kiln that calls such a member"
                                    + " fails with NoSuchMethodError when the sql jar is in lib/."
                                    + " Offer a Flink-typed entry point and mark the member"
                                    + " @Internal");

    @ArchTest
    static final ArchRule RECORDS_DECLARE_THEIR_OBJECT_METHODS =
            classes()
                    .that(areRecords())
                    .should(declareEqualsHashCodeAndToString())
                    .because(
                            "on JDK 17 a generated equals/hashCode/toString is bootstrapped by"
                                    + " java.lang.runtime.ObjectMethods, whose static method"
                                    + " handles' asTypeCache strongly keeps the last record type"
                                    + " adapted, so the record's class loader (a finished job's)"
                                    + " stays reachable for the life of the TaskManager");

    private static DescribedPredicate<JavaMember> arePublicOrProtectedApi() {
        return new DescribedPredicate<>(
                "are public or protected members of @PublicEvolving or @Experimental types,"
                        + " not annotated @Internal") {
            @Override
            public boolean test(JavaMember member) {
                JavaClass owner = member.getOwner();
                boolean api =
                        owner.isAnnotatedWith(PublicEvolving.class)
                                || owner.isAnnotatedWith(Experimental.class);
                boolean visible =
                        member.getModifiers().contains(JavaModifier.PUBLIC)
                                || member.getModifiers().contains(JavaModifier.PROTECTED);
                return api
                        && visible
                        && owner.getModifiers().contains(JavaModifier.PUBLIC)
                        && !member.isAnnotatedWith(Internal.class)
                        && !member.getModifiers().contains(JavaModifier.SYNTHETIC);
            }
        };
    }

    private static ArchCondition<JavaMember> nameNoRelocatedType() {
        return new ArchCondition<>("name no type of a relocated package in their signature") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                Set<String> relocated = new TreeSet<>();
                for (JavaType type : signature(member)) {
                    for (JavaClass raw : type.getAllInvolvedRawTypes()) {
                        String name = raw.getName();
                        if (RELOCATED.stream().anyMatch(p -> name.startsWith(p + "."))) {
                            relocated.add(name);
                        }
                    }
                }
                boolean ok = relocated.isEmpty();
                events.add(
                        new SimpleConditionEvent(
                                member,
                                ok,
                                member.getFullName()
                                        + (ok ? " names no" : " names " + relocated)
                                        + " relocated type"));
            }
        };
    }

    private static List<JavaType> signature(JavaMember member) {
        List<JavaType> types = new ArrayList<>();
        if (member instanceof JavaField field) {
            types.add(field.getType());
        } else if (member instanceof JavaCodeUnit code) {
            types.add(code.getReturnType());
            types.addAll(code.getParameterTypes());
            types.addAll(code.getTypeParameters());
        }
        return types;
    }

    private static DescribedPredicate<JavaClass> areRecords() {
        return new DescribedPredicate<>("are records") {
            @Override
            public boolean test(JavaClass type) {
                return type.isRecord();
            }
        };
    }

    /**
     * The compiler writes equals, hashCode and toString into every record's class file; the ones it
     * generates (not declared in source) are an {@code invokedynamic} bootstrapped by {@code
     * java.lang.runtime.ObjectMethods}, so a record declares all three itself exactly when its
     * class file names no {@code ObjectMethods}.
     */
    private static ArchCondition<JavaClass> declareEqualsHashCodeAndToString() {
        return new ArchCondition<>("declare equals, hashCode and toString themselves") {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                boolean ok = !constantPoolNames(type, OBJECT_METHODS);
                events.add(
                        new SimpleConditionEvent(
                                type,
                                ok,
                                type.getName()
                                        + (ok
                                                ? " declares equals, hashCode and toString"
                                                : " leaves equals, hashCode or toString to "
                                                        + OBJECT_METHODS)));
            }
        };
    }

    private static final String OBJECT_METHODS = "java/lang/runtime/ObjectMethods";

    /** Whether the class file of {@code type} has the UTF-8 constant {@code name}. */
    private static boolean constantPoolNames(JavaClass type, String name) {
        String resource = type.getName().replace('.', '/') + ".class";
        try (InputStream in =
                ClusterSafetyTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no class file for " + type.getName());
            }
            DataInputStream data = new DataInputStream(in);
            data.readInt(); // magic
            data.readUnsignedShort(); // minor version
            data.readUnsignedShort(); // major version
            int count = data.readUnsignedShort();
            for (int i = 1; i < count; i++) {
                int tag = data.readUnsignedByte();
                switch (tag) {
                    case 1: // Utf8
                        if (data.readUTF().equals(name)) {
                            return true;
                        }
                        break;
                    case 7, 8, 16, 19, 20: // Class, String, MethodType, Module, Package
                        data.skipNBytes(2);
                        break;
                    case 15: // MethodHandle
                        data.skipNBytes(3);
                        break;
                    case 3, 4, 9, 10, 11, 12, 17, 18: // Integer, Float, refs, NameAndType, Dynamic
                        data.skipNBytes(4);
                        break;
                    case 5, 6: // Long, Double: two slots
                        data.skipNBytes(8);
                        i++;
                        break;
                    default:
                        throw new IllegalStateException(
                                "constant pool tag " + tag + " in " + type.getName());
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
