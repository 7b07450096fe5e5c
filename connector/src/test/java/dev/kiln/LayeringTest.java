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

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

/**
 * The layering of {@code ../shared/DESIGN.md}: lower layers never use higher ones, and the core
 * (everything below the Flink layers) uses nothing of Flink but its file systems.
 */
@AnalyzeClasses(packages = "dev.kiln", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

    @ArchTest
    static final ArchRule LAYERS =
            layeredArchitecture()
                    .consideringOnlyDependenciesInLayers()
                    .layer("cache")
                    .definedBy("dev.kiln.cache..")
                    .layer("io")
                    .definedBy("dev.kiln.io..")
                    .layer("format")
                    .definedBy("dev.kiln.format..")
                    .layer("table")
                    .definedBy("dev.kiln.table..")
                    .layer("warm")
                    .definedBy("dev.kiln.warm..")
                    .layer("flink")
                    .definedBy("dev.kiln.flink..")
                    .whereLayer("flink")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("warm")
                    .mayOnlyBeAccessedByLayers("flink")
                    .whereLayer("table")
                    .mayOnlyBeAccessedByLayers("warm", "flink")
                    .whereLayer("format")
                    .mayOnlyBeAccessedByLayers("table", "warm", "flink")
                    .whereLayer("io")
                    .mayOnlyBeAccessedByLayers("format", "table", "warm", "flink")
                    .whereLayer("cache")
                    .mayOnlyBeAccessedByLayers("warm", "flink");

    /**
     * The Flink layers by capability: RowData/Arrow conversion at the bottom, the TaskManager's
     * shared runtime (cache registry, settings) above it, the sink, the lookups and the scan source
     * beside each other (none uses another), the command-line action on the sink, and the SQL
     * connector on top of all.
     */
    @ArchTest
    static final ArchRule FLINK_LAYERS =
            layeredArchitecture()
                    .consideringOnlyDependenciesInLayers()
                    .layer("data")
                    .definedBy("dev.kiln.flink.data..")
                    .layer("runtime")
                    .definedBy("dev.kiln.flink.runtime..")
                    .layer("sink")
                    .definedBy("dev.kiln.flink.sink..")
                    .layer("lookup")
                    .definedBy("dev.kiln.flink.lookup..")
                    .layer("source")
                    .definedBy("dev.kiln.flink.source..")
                    .layer("action")
                    .definedBy("dev.kiln.flink.action..")
                    .layer("sql")
                    .definedBy("dev.kiln.flink.table..")
                    .whereLayer("sql")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("action")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("sink")
                    .mayOnlyBeAccessedByLayers("action", "sql")
                    .whereLayer("lookup")
                    .mayOnlyBeAccessedByLayers("sql")
                    .whereLayer("source")
                    .mayOnlyBeAccessedByLayers("sql")
                    .whereLayer("runtime")
                    .mayOnlyBeAccessedByLayers("sink", "lookup", "source", "action", "sql")
                    .whereLayer("data")
                    .mayOnlyBeAccessedByLayers(
                            "runtime", "sink", "lookup", "source", "action", "sql");

    @ArchTest
    static final ArchRule EVERY_FLINK_CLASS_IS_IN_A_CAPABILITY_PACKAGE =
            noClasses()
                    .should()
                    .resideInAPackage("dev.kiln.flink")
                    .because("the Flink layers are split by capability (sink, lookup, ...)");

    @ArchTest
    static final ArchRule CORE_USES_ONLY_FLINK_FILE_SYSTEMS =
            noClasses()
                    .that()
                    .resideInAnyPackage(
                            "dev.kiln.cache..",
                            "dev.kiln.io..",
                            "dev.kiln.format..",
                            "dev.kiln.table..",
                            "dev.kiln.warm..")
                    .should()
                    .dependOnClassesThat(
                            resideInAPackage("org.apache.flink..")
                                    .and(not(resideInAPackage("org.apache.flink.core.fs..")))
                                    .and(not(resideInAPackage("org.apache.flink.annotation.."))));

    @ArchTest
    static final ArchRule CACHE_IS_PLAIN_JAVA_ON_CAFFEINE =
            noClasses()
                    .that()
                    .resideInAPackage("dev.kiln.cache..")
                    .should()
                    .dependOnClassesThat(
                            resideInAnyPackage("org.apache.flink..", "org.apache.arrow..")
                                    .and(not(resideInAPackage("org.apache.flink.annotation.."))));

    /**
     * Every public type says how stable it is, as Flink's own code does: {@code @PublicEvolving}
     * for what a user builds on (listed in {@code docs/api.md}), {@code @Experimental} for what may
     * still change, {@code @Internal} for the rest.
     */
    @ArchTest
    static final ArchRule PUBLIC_TYPES_CARRY_A_STABILITY_ANNOTATION =
            classes()
                    .that()
                    .arePublic()
                    .should()
                    .beAnnotatedWith(PublicEvolving.class)
                    .orShould()
                    .beAnnotatedWith(Experimental.class)
                    .orShould()
                    .beAnnotatedWith(Internal.class);
}
